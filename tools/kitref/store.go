package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/oci"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry"
)

const (
	defaultRegistry   = "localhost"
	defaultRepository = "_"

	modelConfigMediaType = "application/vnd.kitops.modelkit.config.v1+json"
	cliVersionAnnotation = "ml.kitops.modelkit.cli-version"
)

// configHome resolves kit's home: --config, then $KITOPS_HOME, then the XDG data dir.
func configHome(flagValue string) (string, error) {
	if flagValue != "" {
		return filepath.Abs(flagValue)
	}
	if env := os.Getenv("KITOPS_HOME"); env != "" {
		return filepath.Abs(env)
	}
	if xdg := os.Getenv("XDG_DATA_HOME"); xdg != "" {
		return filepath.Join(xdg, "kitops"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".local", "share", "kitops"), nil
}

func storagePath(home string) string { return filepath.Join(home, "storage") }

var startEndAlphanumeric = regexp.MustCompile(`[a-z0-9](.*[a-z0-9])?`)

// parseReference follows kit v1.7.0: a first path segment is a registry only if it
// contains '.' or ':', otherwise the registry is "localhost"; ",t2,t3" are extra tags.
// Validation is delegated to oras-go's registry.Reference.
func parseReference(refString string) (*registry.Reference, []string, error) {
	if _, err := digest.Parse(refString); err == nil {
		return &registry.Reference{Registry: defaultRegistry, Repository: defaultRepository, Reference: refString}, nil, nil
	}
	parts := strings.Split(refString, ",")
	unprocessed, extraTags := parts[0], parts[1:]

	reg := defaultRegistry
	if segs := strings.SplitN(unprocessed, "/", 2); len(segs) == 2 &&
		(strings.Contains(segs[0], ":") || strings.Contains(segs[0], ".")) {
		reg, unprocessed = segs[0], segs[1]
	}

	var repo, ref string
	hasTag, hasDigest := false, false
	if i := strings.Index(unprocessed, "@"); i != -1 {
		hasDigest = true
		repo, ref = unprocessed[:i], unprocessed[i+1:]
		if j := strings.Index(repo, ":"); j != -1 {
			repo = repo[:j]
		}
	} else if i := strings.Index(unprocessed, ":"); i != -1 {
		hasTag = true
		repo, ref = unprocessed[:i], unprocessed[i+1:]
	} else {
		repo = unprocessed
	}
	if strings.ToLower(repo) != repo {
		return nil, nil, fmt.Errorf("repository (%s) name must be lowercase", repo)
	}
	if !startEndAlphanumeric.MatchString(repo) {
		return nil, nil, fmt.Errorf("repository (%s) must start and end with a letter or number", repo)
	}
	r := &registry.Reference{Registry: reg, Repository: repo, Reference: ref}
	if err := r.ValidateRegistry(); err != nil {
		return nil, nil, err
	}
	if err := r.ValidateRepository(); err != nil {
		return nil, nil, err
	}
	if hasTag {
		if err := r.ValidateReferenceAsTag(); err != nil {
			return nil, nil, err
		}
	} else if hasDigest {
		if err := r.ValidateReferenceAsDigest(); err != nil {
			return nil, nil, err
		}
	}
	return r, extraTags, nil
}

// formatRepositoryForDisplay hides the defaults kit fills in ("localhost/", "_").
func formatRepositoryForDisplay(repo string) string {
	repo = strings.TrimPrefix(repo, defaultRegistry+"/")
	repo = strings.TrimPrefix(repo, defaultRepository)
	return strings.TrimPrefix(repo, "@")
}

func repoName(ref *registry.Reference) string { return path.Join(ref.Registry, ref.Repository) }

func indexPathForRepo(storage, repo string) string {
	return filepath.Join(storage, base64.URLEncoding.EncodeToString([]byte(repo))+"-index.json")
}

func tagsPathForRepo(storage, repo string) string {
	return filepath.Join(storage, base64.URLEncoding.EncodeToString([]byte(repo))+"-tags.json")
}

// Unescaped "." as in kit: discovery is by file name only.
var localIndexRegexp = regexp.MustCompile(`^([-A-Za-z0-9_-]*={0,3})-index.json$`)

// localRepo is one repository of kit's local store: blobs and the root index.json
// belong to oras-go's OCI layout store shared by every repository, while the list of
// manifests and the tag map live in the per-repository JSON files kit adds beside it.
type localRepo struct {
	storage   string
	name      string
	store     *oci.Store
	index     ocispec.Index
	tags      map[string]ocispec.Descriptor
	indexPath string
	tagsPath  string
}

func openLocalRepo(storage, name string) (*localRepo, error) {
	store, err := oci.New(storage)
	if err != nil {
		return nil, err
	}
	r := &localRepo{
		storage:   storage,
		name:      name,
		store:     store,
		index:     ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}},
		tags:      map[string]ocispec.Descriptor{},
		indexPath: indexPathForRepo(storage, name),
		tagsPath:  tagsPathForRepo(storage, name),
	}
	if b, err := os.ReadFile(r.indexPath); err == nil {
		if err := json.Unmarshal(b, &r.index); err != nil {
			return nil, fmt.Errorf("failed to parse index: %w", err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("failed to read index: %w", err)
	}
	if b, err := os.ReadFile(r.tagsPath); err == nil {
		if err := json.Unmarshal(b, &r.tags); err != nil {
			return nil, fmt.Errorf("failed to parse tags index: %w", err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("failed to read tags index: %w", err)
	}
	return r, nil
}

func openRepoForRef(home string, ref *registry.Reference) (*localRepo, error) {
	return openLocalRepo(storagePath(home), repoName(ref))
}

// allLocalRepos finds repositories the way kit list does: by the names of the
// top-level *-index.json files, sorted by repository name.
func allLocalRepos(storage string) ([]*localRepo, error) {
	entries, err := os.ReadDir(storage)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("failed to read local storage: %w", err)
	}
	var repos []*localRepo
	for _, e := range entries {
		if e.IsDir() || !localIndexRegexp.MatchString(e.Name()) {
			continue
		}
		encoded := localIndexRegexp.FindStringSubmatch(e.Name())[1]
		name, err := base64.URLEncoding.DecodeString(encoded)
		if err != nil {
			return nil, fmt.Errorf("failed to decode repository name %s: %w", encoded, err)
		}
		repo, err := openLocalRepo(storage, string(name))
		if err != nil {
			return nil, err
		}
		repos = append(repos, repo)
	}
	sort.Slice(repos, func(i, j int) bool { return repos[i].name < repos[j].name })
	return repos, nil
}

func (r *localRepo) hasManifest(d digest.Digest) bool {
	return slices.ContainsFunc(r.index.Manifests, func(m ocispec.Descriptor) bool { return m.Digest == d })
}

// saveIndex rewrites both per-repo files whole (kit has no locking either); empty
// files are deleted and duplicate digests dropped, as kit does.
func (r *localRepo) saveIndex() error {
	if err := r.saveTags(); err != nil {
		return err
	}
	if len(r.index.Manifests) == 0 {
		if err := os.Remove(r.indexPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	seen := map[digest.Digest]bool{}
	var unique []ocispec.Descriptor
	for _, m := range r.index.Manifests {
		if !seen[m.Digest] {
			unique = append(unique, m)
		}
		seen[m.Digest] = true
	}
	r.index.Manifests = unique
	b, err := json.Marshal(r.index)
	if err != nil {
		return fmt.Errorf("failed to marshal index: %w", err)
	}
	return os.WriteFile(r.indexPath, b, 0o666)
}

func (r *localRepo) saveTags() error {
	if len(r.tags) == 0 {
		if err := os.Remove(r.tagsPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	b, err := json.Marshal(r.tags)
	if err != nil {
		return fmt.Errorf("failed to marshal tags index: %w", err)
	}
	return os.WriteFile(r.tagsPath, b, 0o666)
}

func (r *localRepo) addManifest(desc ocispec.Descriptor) error {
	if !r.hasManifest(desc.Digest) {
		r.index.Manifests = append(r.index.Manifests, desc)
	}
	return r.saveIndex()
}

func (r *localRepo) tag(desc ocispec.Descriptor, tag string) error {
	if !r.hasManifest(desc.Digest) {
		return fmt.Errorf("%s: %s: %w", desc.Digest, desc.MediaType, errdef.ErrNotFound)
	}
	r.tags[tag] = desc
	return r.saveTags()
}

func (r *localRepo) untag(tag string) error {
	if _, ok := r.tags[tag]; !ok {
		return errdef.ErrNotFound
	}
	delete(r.tags, tag)
	return r.saveTags()
}

// resolve looks digests up in the repo index and tags in the tag map only.
func (r *localRepo) resolve(reference string) (ocispec.Descriptor, error) {
	if reference == "" {
		return ocispec.Descriptor{}, errdef.ErrMissingReference
	}
	if digest.Digest(reference).Validate() == nil {
		for _, m := range r.index.Manifests {
			if m.Digest == digest.Digest(reference) {
				return m, nil
			}
		}
		return ocispec.Descriptor{}, errdef.ErrNotFound
	}
	if d, ok := r.tags[reference]; ok {
		return d, nil
	}
	return ocispec.Descriptor{}, errdef.ErrNotFound
}

func (r *localRepo) tagsFor(d digest.Digest) []string {
	var out []string
	for t, desc := range r.tags {
		if desc.Digest == d {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

func (r *localRepo) blobPath(d digest.Digest) string {
	return filepath.Join(r.storage, ocispec.ImageBlobsDir, d.Algorithm().String(), d.Encoded())
}

// pushManifest stores the manifest blob (oras adds it to the root index.json, which
// is what lets a later remove garbage-collect its blobs) and lists it in this repo.
func (r *localRepo) pushManifest(ctx context.Context, desc ocispec.Descriptor, b []byte) error {
	exists, err := r.store.Exists(ctx, desc)
	if err != nil {
		return err
	}
	if !exists {
		if err := r.store.Push(ctx, desc, bytes.NewReader(b)); err != nil {
			return err
		}
	}
	return r.addManifest(desc)
}

// manifestAndConfig fetches (and digest-verifies) the manifest and its Kitfile config;
// anything whose config is not the Kit config type is "not a modelkit".
func (r *localRepo) manifestAndConfig(ctx context.Context, desc ocispec.Descriptor) (*ocispec.Manifest, *KitFile, error) {
	mb, err := content.FetchAll(ctx, r.store, desc)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to read manifest %s: %w", desc.Digest, err)
	}
	manifest := &ocispec.Manifest{}
	if err := json.Unmarshal(mb, manifest); err != nil {
		return nil, nil, fmt.Errorf("failed to parse manifest %s: %w", desc.Digest, err)
	}
	if manifest.Config.MediaType != modelConfigMediaType {
		return nil, nil, fmt.Errorf("reference exists but is not a modelkit")
	}
	cb, err := content.FetchAll(ctx, r.store, manifest.Config)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to read config: %w", err)
	}
	kf := &KitFile{}
	if err := json.Unmarshal(cb, kf); err != nil {
		return nil, nil, fmt.Errorf("failed to parse config: %w", err)
	}
	return manifest, kf, nil
}

// deleteManifest removes the manifest from this repo; the blob (and, through oras
// AutoGC, its now-unreferenced layers) is deleted only if no other repo lists it.
func (r *localRepo) deleteManifest(ctx context.Context, desc ocispec.Descriptor) error {
	for _, t := range r.tagsFor(desc.Digest) {
		delete(r.tags, t)
	}
	others, err := allLocalRepos(r.storage)
	if err != nil {
		return err
	}
	refs := 0
	for _, o := range others {
		if o.hasManifest(desc.Digest) {
			refs++
		}
	}
	if refs <= 1 {
		if err := r.store.Delete(ctx, desc); err != nil && !errors.Is(err, errdef.ErrNotFound) {
			return err
		}
	}
	r.index.Manifests = slices.DeleteFunc(r.index.Manifests, func(m ocispec.Descriptor) bool { return m.Digest == desc.Digest })
	return r.saveIndex()
}
