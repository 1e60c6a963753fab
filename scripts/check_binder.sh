#!/usr/bin/env bash
# Run binder/postBuild the way Binder would (a fresh environment, from a clean checkout) and check the
# result: both extensions enabled, the demo workspace created, and a pack to the local store working
# with no registry. HOME is a temp dir, so the user's ~/.jupyter and kit store are never touched.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

git clone -q "$repo" "$work/repo"
python3 -m venv "$work/env"
export HOME="$work/home" PATH="$work/env/bin:$PATH" KITOPS_HOME="$work/home/.local/share/kitops"
mkdir -p "$HOME"
# binder/environment.yml's pip section (conda itself is Binder's job).
pip install -q "jupyterlab>=4.6,<5" "hatchling>=1.5" "hatch-jupyter-builder>=0.5" editables
cd "$work/repo"
bash binder/postBuild > "$work/postBuild.log" 2>&1 || { tail -40 "$work/postBuild.log"; exit 1; }

extensions=$(jupyter server extension list 2>&1)
grep -q "kitlab .*OK" <<< "$extensions" || { echo "binder: server extension not enabled:"; echo "$extensions"; exit 1; }
labextensions=$(jupyter labextension list 2>&1)
grep -q "kitlab .*enabled.*OK" <<< "$labextensions" || { echo "binder: labextension not enabled:"; echo "$labextensions"; exit 1; }
grep -q 'root_dir = "demo"' "$HOME/.jupyter/jupyter_server_config.py"
test -f demo/train.ipynb && test -f demo/models/churn.joblib
kitlab init demo --no-pins > /dev/null
kitlab pack demo -t demo:binder > /dev/null
# Captured first: `cmd | grep -q` under pipefail fails when grep exits before cmd finishes writing.
kits=$(kitlab list)
grep -q "demo .*binder" <<< "$kits" || { echo "binder: packing to the local store failed:"; echo "$kits"; exit 1; }
echo "binder: postBuild OK (extensions enabled, demo created, pack to the local store works)"
