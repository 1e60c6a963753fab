"""JupyterHub for the hub UI test (tests-hub/hub.spec.ts, docs/jupyterhub.md): a real hub, its real proxy
(configurable-http-proxy from ui-tests/node_modules) and one user, `alice`, who logs in with a password
and gets a single-user JupyterLab with kitlab under /user/alice/.

Everything the hub writes (its sqlite database, cookie secret, pid files, the users' homes) lives in
KITLAB_HUB_DIR, a new temporary folder hub.config.js names and this file makes; the hub removes it
when it stops. The public
port is KITLAB_HUB_PORT and the team registry's KITLAB_HUB_REGISTRY_PORT (the Makefile picks free
ones); the proxy's API and the hub's own port are free loopback ports picked here.
"""

import atexit
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent

state = Path(os.environ["KITLAB_HUB_DIR"])
state.mkdir(mode=0o700)
homes = state / "home"
atexit.register(shutil.rmtree, state, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# alice's workspace: the demo (a notebook that trains a scikit-learn model, its CSV and the model
# joblib wrote), made by the same script as the other UI tests' fixtures, in her home before she logs in.
subprocess.run(
    [sys.executable, str(REPO / "scripts" / "demo_workspace.py"), str(homes / "alice" / "demo")], check=True
)

# alice has already answered JupyterLab's "fetch Jupyter news?" question (No), as a returning user has:
# its toast would otherwise cover the panel's notifications in the screenshots.
news = homes / "alice" / ".jupyter/lab/user-settings/@jupyterlab/apputils-extension"
news.mkdir(parents=True)
(news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')

c = get_config()  # noqa: F821 (injected by JupyterHub's config loader)

c.JupyterHub.bind_url = f"http://127.0.0.1:{int(os.environ['KITLAB_HUB_PORT'])}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{free_port()}"
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")

# The proxy from ui-tests/package.json: missing, the hub does not start and the test fails.
c.ConfigurableHTTPProxy.command = [str(REPO / "ui-tests/node_modules/.bin/configurable-http-proxy")]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{free_port()}"
c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")

# A password login through the hub's own login page: one password for the allowed users (JupyterHub's
# SharedPasswordAuthenticator, which replaced DummyAuthenticator's password in 5.3; for tests and demos).
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = os.environ["KITLAB_HUB_PASSWORD"]
c.Authenticator.allowed_users = {"alice"}

# Users that need not exist on the machine (CI runs as root, with no such accounts): each gets
# homes/<name> as $HOME and working directory, so the server root is her home, as on a real hub.
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(homes / "{username}")
c.Spawner.cmd = [str(VENV_BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
# JupyterLab starts in ~6 s here; give a loaded 2-core CI machine room before the hub gives up.
c.Spawner.http_timeout = 60
# Each user's kit store under her own home, as an administrator would pin it (docs/jupyterhub.md).
c.Spawner.environment = {"KITOPS_HOME": lambda spawner: str(homes / spawner.user.name / ".kitops")}
# The one registry users may use: the team's, which the test starts on KITLAB_HUB_REGISTRY_PORT.
c.Spawner.args = [f"--Kitlab.allowed_registries=127.0.0.1:{int(os.environ['KITLAB_HUB_REGISTRY_PORT'])}"]
if os.getuid() == 0:
    # Jupyter refuses to run as root unless told (CI runs as root).
    c.Spawner.args.append("--ServerApp.allow_root=True")
