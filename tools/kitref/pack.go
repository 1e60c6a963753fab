package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry"
)

const (
	compressionNone        = "none"
	compressionGzip        = "gzip"
	compressionGzipFastest = "gzip-fastest"
)

type packOptions struct {
	home        string
	contextDir  string
	kitfilePath string
	ref         *registry.Reference
	extraTags   []string
	compression string
}

// layerMediaType builds application/vnd.kitops.modelkit.<base>.v1.tar[+gzip].
func layerMediaType(base, compression string) string {
	mt := "application/vnd.kitops.modelkit." + base + ".v1.tar"
	if compression == compressionGzip || compression == compressionGzipFastest {
		mt += "+gzip"
	}
	return mt
}

// ignoreRules is kit's IgnorePaths: the .kitignore patterns (plus Kitfile names and
// .kitignore itself) and the other layers' paths.
type ignoreRules struct {
	matcher *patternmatcher.PatternMatcher
	layers  []string
}

func newIgnoreRules(kf *KitFile) (*ignoreRules, error) {
	var patterns []string
	if f, err := os.Open(ignoreFileName); err == nil {
		patterns, err = ignorefile.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("failed to read %s file: %w", ignoreFileName, err)
		}
	} else if !os.IsNotExist(err) {
		return nil, fmt.Errorf("failed to open %s file: %w", ignoreFileName, err)
	}
	patterns = append(patterns, defaultKitfileNames...)
	patterns = append(patterns, ignoreFileName)
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, fmt.Errorf("invalid %s file: %w", ignoreFileName, err)
	}
	return &ignoreRules{matcher: pm, layers: layerPaths(kf)}, nil
}

// matches reproduces v1.7.0 exactly, including its plain string-prefix tests: a layer
// whose path is a string prefix of the current layer path is skipped, and any file
// whose path starts with another layer's path (so "database.csv" for layer "data")
// is excluded.
func (ir *ignoreRules) matches(p, layerPath string) (bool, error) {
	p = cleanPath(p)
	layerPath = cleanPath(layerPath)
	ignored, err := ir.matcher.MatchesOrParentMatches(p)
	if err != nil || ignored {
		return ignored, err
	}
	for _, layer := range ir.layers {
		if strings.HasPrefix(layerPath, layer) {
			continue
		}
		if strings.HasPrefix(p, layer) {
			return true, nil
		}
	}
	return false, nil
}

// sameDirTree is kit's "one path contains the other" test. It looks for ".." as a
// substring of the relative paths, so a name such as "model..bin" is never packed.
func sameDirTree(a, b string) bool {
	aToB, errA := filepath.Rel(a, b)
	bToA, errB := filepath.Rel(b, a)
	if errA != nil || errB != nil {
		warnf("Cannot compare directories %s and %s, skipping path", a, b)
		return false
	}
	return !(strings.Contains(aToB, "..") && strings.Contains(bToA, ".."))
}

// checkLayerPath mirrors kit's pre-walk size check, which is where a missing path fails.
func checkLayerPath(basePath string, ir *ignoreRules, base string) error {
	fi, err := os.Stat(basePath)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("error processing %s: path %s does not exist", base, basePath)
		}
		return err
	}
	if !fi.Mode().IsRegular() && !fi.IsDir() {
		return fmt.Errorf("error processing %s: path %s is neither a file nor a directory", base, basePath)
	}
	var total int64
	if fi.Mode().IsRegular() {
		total = fi.Size()
	} else {
		err = filepath.WalkDir(basePath, func(file string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			ignored, err := ir.matches(file, basePath)
			if err != nil {
				return err
			}
			if ignored {
				if !ir.matcher.Exclusions() && d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				info, err := d.Info()
				if err != nil {
					return err
				}
				total += info.Size()
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("error processing %s: %w", base, err)
		}
	}
	if total == 0 {
		warnf("No files detected in %s layer with path %s", base, basePath)
	}
	return nil
}

// writeLayerTar walks the whole context (the process has chdir'ed into it) and writes
// every regular file and directory that belongs to basePath, with kit's
// reproducibility sanitisation of the headers.
func writeLayerTar(basePath string, ir *ignoreRules, tw *tar.Writer) error {
	return filepath.Walk(".", func(file string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if file == "." {
			return nil
		}
		if !fi.Mode().IsRegular() && !fi.IsDir() {
			return nil
		}
		if !sameDirTree(basePath, file) {
			if fi.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		ignored, err := ir.matches(file, basePath)
		if err != nil {
			return fmt.Errorf("failed to match %s against ignore file: %w", file, err)
		}
		if ignored {
			if !ir.matcher.Exclusions() && fi.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		hdr, err := tar.FileInfoHeader(fi, "")
		if err != nil {
			return fmt.Errorf("failed to generate header for %s: %w", file, err)
		}
		hdr.Name = filepath.ToSlash(file)
		hdr.AccessTime = time.Time{}
		hdr.ModTime = time.Time{}
		hdr.ChangeTime = time.Time{}
		hdr.Uid = 1000
		hdr.Gid = 0
		hdr.Uname = ""
		hdr.Gname = ""
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("failed to write header: %w", err)
		}
		if fi.IsDir() {
			return nil
		}
		f, err := os.Open(file)
		if err != nil {
			return fmt.Errorf("failed to open file for archiving: %w", err)
		}
		defer f.Close()
		n, err := io.Copy(tw, f)
		if err != nil {
			return fmt.Errorf("failed to add file to archive: %w", err)
		}
		if n != fi.Size() {
			return fmt.Errorf("error writing file %s: size changed while packing", file)
		}
		return nil
	})
}

// packLayer streams one layer to a temp file under <home>/cache/pack while hashing
// both the stored bytes (digest) and the uncompressed tar (diffId).
func packLayer(home, layerPath, base, compression string, ir *ignoreRules) (string, ocispec.Descriptor, *LayerInfo, error) {
	layerPath = filepath.Clean(layerPath)
	mediaType := layerMediaType(base, compression)
	if ignored, err := ir.matches(layerPath, layerPath); err != nil {
		return "", ocispec.Descriptor{}, nil, err
	} else if ignored {
		warnf("Warning: %s layer path %s ignored by kitignore", base, layerPath)
	}
	if err := checkLayerPath(layerPath, ir, base); err != nil {
		return "", ocispec.Descriptor{}, nil, err
	}
	cacheDir := filepath.Join(home, "cache", "pack")
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", ocispec.Descriptor{}, nil, err
	}
	tmp, err := os.CreateTemp(cacheDir, "kitops_layer_")
	if err != nil {
		return "", ocispec.Descriptor{}, nil, fmt.Errorf("failed to create temporary file: %w", err)
	}
	fail := func(err error) (string, ocispec.Descriptor, *LayerInfo, error) {
		tmp.Close()
		os.Remove(tmp.Name())
		return "", ocispec.Descriptor{}, nil, err
	}

	blobDigester := digest.Canonical.Digester()
	fileWriter := io.MultiWriter(tmp, blobDigester.Hash())
	diffIDDigester := blobDigester
	var gz *gzip.Writer
	var tw *tar.Writer
	switch compression {
	case compressionNone:
		tw = tar.NewWriter(fileWriter)
	case compressionGzip, compressionGzipFastest:
		level := gzip.DefaultCompression
		if compression == compressionGzipFastest {
			level = gzip.BestSpeed
		}
		gz, err = gzip.NewWriterLevel(fileWriter, level)
		if err != nil {
			return fail(err)
		}
		diffIDDigester = digest.Canonical.Digester()
		tw = tar.NewWriter(io.MultiWriter(gz, diffIDDigester.Hash()))
	default:
		return fail(fmt.Errorf("invalid compression %q", compression))
	}
	if err := writeLayerTar(layerPath, ir, tw); err != nil {
		return fail(err)
	}
	if err := tw.Close(); err != nil {
		return fail(err)
	}
	if gz != nil {
		if err := gz.Close(); err != nil {
			return fail(err)
		}
	}
	fi, err := tmp.Stat()
	if err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	desc := ocispec.Descriptor{MediaType: mediaType, Digest: blobDigester.Digest(), Size: fi.Size()}
	info := &LayerInfo{Digest: blobDigester.Digest().String(), DiffId: diffIDDigester.Digest().String()}
	return tmp.Name(), desc, info, nil
}

// storeLayer moves the finished temp file into blobs/sha256 (kit renames to avoid a
// copy of multi-GB layers), falling back to an oras push when rename is impossible.
func storeLayer(ctx context.Context, repo *localRepo, tmpPath string, desc ocispec.Descriptor, base string) error {
	defer os.Remove(tmpPath)
	exists, err := repo.store.Exists(ctx, desc)
	if err != nil {
		return err
	}
	if exists {
		infof("Already saved %s layer: %s", base, desc.Digest)
		return nil
	}
	blobPath := repo.blobPath(desc.Digest)
	if err := os.MkdirAll(filepath.Dir(blobPath), 0o755); err != nil {
		return fmt.Errorf("failed to set up directories for local storage: %w", err)
	}
	if err := os.Rename(tmpPath, blobPath); err != nil {
		f, err := os.Open(tmpPath)
		if err != nil {
			return fmt.Errorf("failed to open temporary file: %w", err)
		}
		defer f.Close()
		if err := repo.store.Push(ctx, desc, f); err != nil {
			return fmt.Errorf("failed to add layer to storage: %w", err)
		}
	}
	infof("Saved %s layer: %s", base, desc.Digest)
	return nil
}

type layerJob struct {
	path string
	base string
	info **LayerInfo
}

// layerJobs lists layers in kit's manifest order: model, parts, code, datasets, docs.
func layerJobs(kf *KitFile) []layerJob {
	var jobs []layerJob
	if kf.Model != nil {
		if kf.Model.Path != "" && !isModelKitReference(kf.Model.Path) {
			jobs = append(jobs, layerJob{kf.Model.Path, "model", &kf.Model.LayerInfo})
		}
		for i := range kf.Model.Parts {
			jobs = append(jobs, layerJob{kf.Model.Parts[i].Path, "modelpart", &kf.Model.Parts[i].LayerInfo})
		}
	}
	for i := range kf.Code {
		jobs = append(jobs, layerJob{kf.Code[i].Path, "code", &kf.Code[i].LayerInfo})
	}
	for i := range kf.DataSets {
		jobs = append(jobs, layerJob{kf.DataSets[i].Path, "dataset", &kf.DataSets[i].LayerInfo})
	}
	for i := range kf.Docs {
		jobs = append(jobs, layerJob{kf.Docs[i].Path, "docs", &kf.Docs[i].LayerInfo})
	}
	return jobs
}

func runPack(ctx context.Context, opts *packOptions) error {
	// Like kit, chdir first: tar entry names are context-relative, and a relative
	// -f path is therefore resolved against the context directory, not the caller's CWD.
	if err := os.Chdir(opts.contextDir); err != nil {
		return fmt.Errorf("failed to use context path %s: %w", opts.contextDir, err)
	}
	var kfReader io.ReadCloser
	if opts.kitfilePath == "-" {
		kfReader = os.Stdin
	} else {
		f, err := os.Open(opts.kitfilePath)
		if err != nil {
			return err
		}
		kfReader = f
	}
	kf, err := loadKitfile(kfReader)
	kfReader.Close()
	if err != nil {
		return fmt.Errorf("failed to load Kitfile: %w", err)
	}
	if kf.Model != nil && isModelKitReference(kf.Model.Path) {
		return fmt.Errorf("kitref does not support ModelKit references in model.path (%s)", kf.Model.Path)
	}
	if err := validateKitfile(kf); err != nil {
		return err
	}
	ir, err := newIgnoreRules(kf)
	if err != nil {
		return err
	}
	repo, err := openRepoForRef(opts.home, opts.ref)
	if err != nil {
		return fmt.Errorf("failed to open local storage: %w", err)
	}

	var layers []ocispec.Descriptor
	for _, job := range layerJobs(kf) {
		tmpPath, desc, info, err := packLayer(opts.home, job.path, job.base, opts.compression, ir)
		if err != nil {
			return err
		}
		if err := storeLayer(ctx, repo, tmpPath, desc, job.base); err != nil {
			return err
		}
		layers = append(layers, desc)
		*job.info = info
	}

	configBytes, err := kf.marshalJSON()
	if err != nil {
		return err
	}
	configDesc := ocispec.Descriptor{
		MediaType: modelConfigMediaType,
		Digest:    digest.FromBytes(configBytes),
		Size:      int64(len(configBytes)),
	}
	if exists, err := repo.store.Exists(ctx, configDesc); err != nil {
		return err
	} else if !exists {
		if err := repo.store.Push(ctx, configDesc, bytes.NewReader(configBytes)); err != nil {
			return err
		}
		infof("Saved configuration: %s", configDesc.Digest)
	}

	manifest := ocispec.Manifest{
		Versioned:   specs.Versioned{SchemaVersion: 2},
		Config:      configDesc,
		Layers:      layers,
		Annotations: map[string]string{cliVersionAnnotation: version},
	}
	manifestBytes, err := json.Marshal(manifest)
	if err != nil {
		return err
	}
	manifestDesc := ocispec.Descriptor{
		MediaType: ocispec.MediaTypeImageManifest,
		Digest:    digest.FromBytes(manifestBytes),
		Size:      int64(len(manifestBytes)),
	}
	if !repo.hasManifest(manifestDesc.Digest) {
		if err := repo.pushManifest(ctx, manifestDesc, manifestBytes); err != nil {
			return err
		}
		infof("Saved manifest to storage: %s", manifestDesc.Digest)
	}
	os.RemoveAll(filepath.Join(opts.home, "cache", "pack"))

	tags := opts.extraTags
	if opts.ref.Reference != "" {
		tags = append([]string{opts.ref.Reference}, tags...)
	}
	for _, t := range tags {
		if err := repo.tag(manifestDesc, t); err != nil {
			return fmt.Errorf("failed to tag manifest: %w", err)
		}
	}
	infof("Model saved: %s", manifestDesc.Digest)
	return nil
}
