// Command kitref is a test oracle that re-implements the parts of the KitOps `kit`
// CLI v1.7.0 that kitlab must interoperate with (pack, unpack, list, inspect, info,
// remove, tag) on the same libraries kit is built from. It is not kit.
package main

import (
	"context"
	_ "crypto/sha256" // registers sha256 for go-digest
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"text/tabwriter"

	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry"
)

// version is what `kitref version` prints and what pack writes into the
// ml.kitops.modelkit.cli-version annotation; set with -ldflags "-X main.version=1.7.0".
var version = "unknown"

func infof(format string, args ...any) { fmt.Printf(format+"\n", args...) }

func warnf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }

// flags is a small cobra-like parser: flags may appear before or after positional
// arguments, in --name=value, --name value, -n value or bare boolean form.
type flags struct {
	strs   map[string]*string
	bools  map[string]*bool
	arrays map[string]*[]string
	short  map[string]string
}

func newFlags() *flags {
	f := &flags{strs: map[string]*string{}, bools: map[string]*bool{}, arrays: map[string]*[]string{}, short: map[string]string{}}
	// Global kit flags; only --config has an effect here.
	f.str("config", "")
	f.str("log-level", "")
	f.str("progress", "")
	f.boolean("verbose", "v")
	f.boolean("default-latest", "")
	return f
}

func (f *flags) str(name, short string) *string {
	v := new(string)
	f.strs[name] = v
	if short != "" {
		f.short[short] = name
	}
	return v
}

func (f *flags) boolean(name, short string) *bool {
	v := new(bool)
	f.bools[name] = v
	if short != "" {
		f.short[short] = name
	}
	return v
}

func (f *flags) array(name, short string) *[]string {
	v := new([]string)
	f.arrays[name] = v
	if short != "" {
		f.short[short] = name
	}
	return v
}

func (f *flags) parse(args []string) ([]string, error) {
	var positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(positional, args[i+1:]...), nil
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			positional = append(positional, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "--") {
			long, ok := f.short[name]
			if !ok {
				return nil, fmt.Errorf("unknown shorthand flag: %q in %s", name, a)
			}
			name = long
		}
		if b, ok := f.bools[name]; ok {
			*b = !hasValue || value == "true"
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return nil, fmt.Errorf("flag needs an argument: %s", a)
			}
			i++
			value = args[i]
		}
		if s, ok := f.strs[name]; ok {
			*s = value
		} else if arr, ok := f.arrays[name]; ok {
			*arr = append(*arr, value)
		} else {
			return nil, fmt.Errorf("unknown flag: --%s", name)
		}
	}
	return positional, nil
}

func (f *flags) home() (string, error) { return configHome(*f.strs["config"]) }

// modelRef parses a single reference for commands that need a tag or digest.
func modelRef(f *flags, arg string) (*registry.Reference, error) {
	ref, extra, err := parseReference(arg)
	if err != nil {
		return nil, err
	}
	if len(extra) > 0 {
		return nil, fmt.Errorf("invalid reference format: extra tags are not supported: %s", strings.Join(extra, ", "))
	}
	if ref.Reference == "" && *f.bools["default-latest"] {
		ref.Reference = "latest"
	}
	if ref.Reference == "" {
		return nil, fmt.Errorf("missing tag or digest from ModelKit reference '%s'", arg)
	}
	return ref, nil
}

func exactArgs(args []string, n int, usage string) error {
	if len(args) != n {
		return fmt.Errorf("accepts %d arg(s), received %d\nUsage: kitref %s", n, len(args), usage)
	}
	return nil
}

func cmdVersion(args []string) error {
	f := newFlags()
	f.boolean("show-update-notifications", "")
	if _, err := f.parse(args); err != nil {
		return err
	}
	infof("Version: %s\nCommit: %s\nBuilt: %s\nGo version: %s", version, "kitref", "unknown", runtime.Version())
	return nil
}

func cmdPack(ctx context.Context, args []string) error {
	f := newFlags()
	file := f.str("file", "f")
	tag := f.str("tag", "t")
	compression := f.str("compression", "")
	*compression = compressionNone
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if err := exactArgs(pos, 1, "pack [flags] DIRECTORY"); err != nil {
		return err
	}
	home, err := f.home()
	if err != nil {
		return err
	}
	opts := &packOptions{home: home, compression: *compression}
	switch opts.compression {
	case compressionNone, compressionGzip, compressionGzipFastest:
	default:
		return fmt.Errorf("invalid compression %q (must be none, gzip or gzip-fastest)", opts.compression)
	}
	if opts.contextDir, err = filepath.Abs(pos[0]); err != nil {
		return err
	}
	opts.kitfilePath = *file
	if opts.kitfilePath == "" {
		if opts.kitfilePath, err = findKitfile(opts.contextDir); err != nil {
			return err
		}
	}
	if *tag == "" {
		opts.ref = &registry.Reference{Registry: defaultRegistry, Repository: defaultRepository}
	} else {
		if opts.ref, opts.extraTags, err = parseReference(*tag); err != nil {
			return fmt.Errorf("failed to parse reference %s: %w", *tag, err)
		}
		if opts.ref.Reference == "" && *f.bools["default-latest"] {
			opts.ref.Reference = "latest"
		}
	}
	if err := runPack(ctx, opts); err != nil {
		return fmt.Errorf("Failed to pack model kit: %w", err)
	}
	return nil
}

func cmdUnpack(ctx context.Context, args []string) error {
	f := newFlags()
	dir := f.str("dir", "d")
	overwrite := f.boolean("overwrite", "o")
	ignoreExisting := f.boolean("ignore-existing", "i")
	filters := f.array("filter", "f")
	deprecated := map[string]*bool{}
	for _, name := range []string{"kitfile", "model", "code", "datasets", "docs"} {
		deprecated[name] = f.boolean(name, "")
	}
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if err := exactArgs(pos, 1, "unpack [flags] [registry/]repository[:tag|@digest]"); err != nil {
		return err
	}
	ref, extra, err := parseReference(pos[0])
	if err != nil {
		return fmt.Errorf("failed to parse reference: %w", err)
	}
	if len(extra) > 0 {
		return fmt.Errorf("can not unpack multiple tags")
	}
	if ref.Reference == "" && *f.bools["default-latest"] {
		ref.Reference = "latest"
	}
	if ref.Reference == "" {
		return fmt.Errorf("Invalid reference: unpacking requires a tag or digest")
	}
	home, err := f.home()
	if err != nil {
		return err
	}
	absDir, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	opts := &unpackOptions{home: home, ref: ref, dir: absDir, overwrite: *overwrite, ignoreExisting: *ignoreExisting}
	var old []string
	for _, name := range []string{"kitfile", "model", "code", "datasets", "docs"} {
		if *deprecated[name] {
			old = append(old, name)
		}
	}
	if len(old) > 0 {
		*filters = []string{strings.Join(old, ",")}
	}
	for _, s := range *filters {
		fc, err := parseFilter(s)
		if err != nil {
			return fmt.Errorf("Invalid filter %q: %s", s, err)
		}
		opts.filters = append(opts.filters, *fc)
	}
	infof("Unpacking to %s", absDir)
	return runUnpack(ctx, opts)
}

type modelInfo struct {
	Repo      string   `json:"repo"`
	Digest    string   `json:"digest"`
	Tags      []string `json:"tags"`
	ModelName string   `json:"modelName"`
	Size      string   `json:"size"`
	Author    string   `json:"author"`
}

// formatBytes is kit's size rendering: whole bytes below 1 KiB, else one decimal
// rounded down.
func formatBytes(i int64) string {
	if i < 1024 {
		return fmt.Sprintf("%d B", i)
	}
	size := float64(i) / 1024
	for _, suffix := range []string{"KiB", "MiB", "GiB", "TiB"} {
		if size < 1024 {
			return fmt.Sprintf("%.1f %s", float64(int64(size*10))/10, suffix)
		}
		size /= 1024
	}
	return fmt.Sprintf("%.1f PiB", size)
}

func cmdList(ctx context.Context, args []string) error {
	f := newFlags()
	format := f.str("format", "")
	*format = "table"
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("kitref list only lists local storage")
	}
	home, err := f.home()
	if err != nil {
		return err
	}
	repos, err := allLocalRepos(storagePath(home))
	if err != nil {
		return err
	}
	infos := []modelInfo{}
	for _, repo := range repos {
		var repoInfos []modelInfo
		for _, desc := range repo.index.Manifests {
			manifest, kf, err := repo.manifestAndConfig(ctx, desc)
			if err != nil {
				return err
			}
			display := formatRepositoryForDisplay(repo.name)
			if display == "" {
				display = "<none>"
			}
			var size int64
			for _, l := range manifest.Layers {
				size += l.Size
			}
			info := modelInfo{Repo: display, Digest: string(desc.Digest), Tags: repo.tagsFor(desc.Digest),
				Size: formatBytes(size), Author: "<none>", ModelName: kf.Package.Name}
			if len(kf.Package.Authors) > 0 {
				info.Author = kf.Package.Authors[0]
			}
			if info.ModelName == "" {
				info.ModelName = "<none>"
			}
			repoInfos = append(repoInfos, info)
		}
		sortInfos(repoInfos)
		infos = append(infos, repoInfos...)
	}
	switch *format {
	case "json":
		b, err := json.MarshalIndent(infos, "", "  ")
		if err != nil {
			return err
		}
		fmt.Println(string(b))
	case "table":
		tw := tabwriter.NewWriter(os.Stdout, 0, 2, 3, ' ', 0)
		fmt.Fprintln(tw, "REPOSITORY\tTAG\tMAINTAINER\tNAME\tSIZE\tDIGEST")
		for _, m := range infos {
			tags := m.Tags
			if len(tags) == 0 {
				tags = []string{"<none>"}
			}
			for _, t := range tags {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", m.Repo, t, m.Author, m.ModelName, m.Size, m.Digest)
			}
		}
		return tw.Flush()
	default:
		return fmt.Errorf("unsupported format %s (kitref supports table and json)", *format)
	}
	return nil
}

func sortInfos(infos []modelInfo) {
	sort.Slice(infos, func(i, j int) bool {
		return infos[i].Repo < infos[j].Repo || (infos[i].Repo == infos[j].Repo && infos[i].Digest < infos[j].Digest)
	})
}

// resolveLocal parses a tag/digest reference and opens its local repository.
func resolveLocal(f *flags, arg string) (*localRepo, *registry.Reference, error) {
	ref, err := modelRef(f, arg)
	if err != nil {
		return nil, nil, err
	}
	home, err := f.home()
	if err != nil {
		return nil, nil, err
	}
	repo, err := openRepoForRef(home, ref)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to read local storage: %w", err)
	}
	return repo, ref, nil
}

func cmdInspect(ctx context.Context, args []string, yamlOnly bool) error {
	f := newFlags()
	f.boolean("remote", "r")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if err := exactArgs(pos, 1, "inspect|info [flags] MODELKIT"); err != nil {
		return err
	}
	repo, ref, err := resolveLocal(f, pos[0])
	if err != nil {
		return err
	}
	desc, err := repo.resolve(ref.Reference)
	if err != nil {
		if errors.Is(err, errdef.ErrNotFound) {
			return fmt.Errorf("Could not find modelkit %s", formatRepositoryForDisplay(ref.String()))
		}
		return err
	}
	manifest, kf, err := repo.manifestAndConfig(ctx, desc)
	if err != nil {
		return fmt.Errorf("Error resolving modelkit: %s", err)
	}
	if yamlOnly {
		b, err := kf.marshalYAML()
		if err != nil {
			return err
		}
		fmt.Print(string(b))
		return nil
	}
	cliVersion := "unknown"
	if v := manifest.Annotations[cliVersionAnnotation]; v != "" {
		cliVersion = v
	}
	out := struct {
		Digest     string   `json:"digest,omitempty"`
		CLIVersion string   `json:"cliVersion,omitempty"`
		Kitfile    *KitFile `json:"kitfile,omitempty"`
		Manifest   any      `json:"manifest,omitempty"`
	}{string(desc.Digest), cliVersion, kf, manifest}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	fmt.Println(string(b))
	return nil
}

func cmdRemove(ctx context.Context, args []string) error {
	f := newFlags()
	force := f.boolean("force", "f")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if err := exactArgs(pos, 1, "remove [flags] REFERENCE"); err != nil {
		return err
	}
	ref, extra, err := parseReference(pos[0])
	if err != nil {
		return err
	}
	if ref.Reference == "" {
		return fmt.Errorf("missing tag or digest from ModelKit reference '%s'", pos[0])
	}
	home, err := f.home()
	if err != nil {
		return err
	}
	repo, err := openRepoForRef(home, ref)
	if err != nil {
		return err
	}
	for _, reference := range append([]string{ref.Reference}, extra...) {
		r := *ref
		r.Reference = reference
		desc, err := repo.resolve(reference)
		if err != nil {
			return fmt.Errorf("failed to remove: model %s not found", formatRepositoryForDisplay(r.String()))
		}
		isDigest := r.ValidateReferenceAsDigest() == nil
		if isDigest || *force || len(repo.tagsFor(desc.Digest)) <= 1 {
			err = repo.deleteManifest(ctx, desc)
		} else {
			err = repo.untag(reference)
		}
		if err != nil {
			return fmt.Errorf("failed to remove: %w", err)
		}
		infof("Removed %s (digest %s)", formatRepositoryForDisplay(r.String()), desc.Digest)
	}
	return nil
}

func cmdTag(ctx context.Context, args []string) error {
	f := newFlags()
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if err := exactArgs(pos, 2, "tag SOURCE_MODELKIT TARGET_MODELKIT"); err != nil {
		return err
	}
	src, err := modelRef(f, pos[0])
	if err != nil {
		return err
	}
	dst, _, err := parseReference(pos[1])
	if err != nil {
		return err
	}
	if dst.Reference == "" {
		return fmt.Errorf("missing tag from target reference '%s'", pos[1])
	}
	home, err := f.home()
	if err != nil {
		return err
	}
	srcRepo, err := openRepoForRef(home, src)
	if err != nil {
		return err
	}
	desc, err := srcRepo.resolve(src.Reference)
	if err != nil {
		return fmt.Errorf("model %s not found", formatRepositoryForDisplay(src.String()))
	}
	dstRepo := srcRepo
	if repoName(dst) != repoName(src) {
		// Blobs are shared by all repos, so copying between local repos only has to
		// list the manifest in the target repo.
		if dstRepo, err = openRepoForRef(home, dst); err != nil {
			return err
		}
		if err := dstRepo.addManifest(desc); err != nil {
			return err
		}
	}
	if err := dstRepo.tag(desc, dst.Reference); err != nil {
		return err
	}
	infof("Modelkit %s tagged as %s", src.String(), dst.String())
	return nil
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: kitref version|pack|unpack|list|inspect|info|remove|tag ...")
	}
	ctx := context.Background()
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "version":
		return cmdVersion(rest)
	case "pack":
		return cmdPack(ctx, rest)
	case "unpack":
		return cmdUnpack(ctx, rest)
	case "list":
		return cmdList(ctx, rest)
	case "inspect":
		return cmdInspect(ctx, rest, false)
	case "info":
		return cmdInspect(ctx, rest, true)
	case "remove":
		return cmdRemove(ctx, rest)
	case "tag":
		return cmdTag(ctx, rest)
	default:
		return fmt.Errorf("unknown command %q for \"kitref\"", cmd)
	}
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}
