package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry"
)

const configBaseType = "config"

// filterConf is one --filter value: TYPES[:IDS], IDS compared as exact strings.
type filterConf struct {
	baseTypes []string
	ids       []string
}

func parseFilter(filter string) (*filterConf, error) {
	typesAndIDs := strings.Split(filter, ":")
	if len(typesAndIDs) > 2 {
		return nil, fmt.Errorf("invalid filter: should be in format <type1>,<type2>[:<filter1>,<filter2>]")
	}
	conf := &filterConf{}
	for _, t := range strings.Split(typesAndIDs[0], ",") {
		switch t {
		case "kitfile":
			conf.baseTypes = append(conf.baseTypes, configBaseType)
		case "datasets":
			conf.baseTypes = append(conf.baseTypes, "dataset")
		case "model", "code", "docs":
			conf.baseTypes = append(conf.baseTypes, t)
		default:
			return nil, fmt.Errorf("invalid filter type %s (must be one of 'kitfile', 'model', 'datasets', 'code', or 'docs')", t)
		}
	}
	if len(typesAndIDs) == 2 {
		conf.ids = strings.Split(typesAndIDs[1], ",")
	}
	return conf, nil
}

func (fc *filterConf) matchesBaseType(base string) bool {
	if base == "modelpart" {
		base = "model"
	}
	return slices.Contains(fc.baseTypes, base)
}

// wants reports whether an entry of kind base with the given name/path fields is selected.
func wants(filters []filterConf, base string, fields ...string) bool {
	if len(filters) == 0 {
		return true
	}
	for _, fc := range filters {
		if !fc.matchesBaseType(base) {
			continue
		}
		if len(fc.ids) == 0 {
			return true
		}
		for _, f := range fields {
			if slices.Contains(fc.ids, f) {
				return true
			}
		}
	}
	return false
}

type unpackOptions struct {
	home           string
	ref            *registry.Reference
	dir            string
	overwrite      bool
	ignoreExisting bool
	filters        []filterConf
}

var mediaTypeRegexp = regexp.MustCompile(`^application/vnd.kitops.modelkit.(\w+).v1.tar(?:\+(\w+))?`)

// verifySubpath is kit v1.7.0's check that context/sub stays inside context after
// resolving symlinks; like kit it rejects any relative result containing "..".
func verifySubpath(context, sub string) (string, error) {
	if filepath.IsAbs(sub) {
		return "", fmt.Errorf("absolute paths are not supported (%s)", sub)
	}
	absContext, err := filepath.Abs(context)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(absContext); err == nil {
		if absContext, err = filepath.EvalSymlinks(absContext); err != nil {
			return "", err
		}
	}
	full := filepath.Clean(filepath.Join(absContext, sub))
	if _, err := os.Stat(full); err == nil {
		if full, err = filepath.EvalSymlinks(full); err != nil {
			return "", err
		}
	}
	rel, err := filepath.Rel(absContext, full)
	if err != nil {
		return "", err
	}
	if strings.Contains(rel, "..") {
		return "", fmt.Errorf("paths must be within context directory")
	}
	return rel, nil
}

func runUnpack(ctx context.Context, opts *unpackOptions) error {
	repo, err := openRepoForRef(opts.home, opts.ref)
	if err != nil {
		return fmt.Errorf("failed to read local storage: %w", err)
	}
	desc, err := repo.resolve(opts.ref.Reference)
	if err != nil {
		return fmt.Errorf("failed to find reference %s: not found", formatRepositoryForDisplay(opts.ref.String()))
	}
	manifest, config, err := repo.manifestAndConfig(ctx, desc)
	if err != nil {
		return fmt.Errorf("failed to read model: %s", err)
	}
	if config.Model != nil && isModelKitReference(config.Model.Path) {
		return fmt.Errorf("kitref does not support unpacking ModelKit references (%s)", config.Model.Path)
	}
	if err := os.MkdirAll(opts.dir, 0o755); err != nil {
		return fmt.Errorf("failed to create directory %s: %w", opts.dir, err)
	}
	// Tar entry names are relative to the unpack directory.
	if err := os.Chdir(opts.dir); err != nil {
		return err
	}
	if len(opts.filters) == 0 || slices.ContainsFunc(opts.filters, func(f filterConf) bool {
		return slices.Contains(f.baseTypes, configBaseType)
	}) {
		if err := unpackKitfile(config, opts.overwrite); err != nil {
			return err
		}
	}

	var partIdx, codeIdx, datasetIdx, docsIdx int
	for _, layer := range manifest.Layers {
		m := mediaTypeRegexp.FindStringSubmatch(layer.MediaType)
		if m == nil {
			return fmt.Errorf("unsupported layer media type %s (kit v1.7.0 would crash here)", layer.MediaType)
		}
		base, compression := m[1], m[2]
		var info *LayerInfo
		var layerPath string
		switch base {
		case "model":
			if config.Model == nil {
				return fmt.Errorf("model layer without a model in the config (kit v1.7.0 would crash here)")
			}
			if !wants(opts.filters, base, config.Model.Name, config.Model.Path) {
				continue
			}
			info, layerPath = config.Model.LayerInfo, config.Model.Path
			infof("Unpacking model %s to %s", config.Model.Name, config.Model.Path)
		case "modelpart":
			if config.Model == nil || partIdx >= len(config.Model.Parts) {
				return fmt.Errorf("more modelpart layers than parts in the config (kit v1.7.0 would crash here)")
			}
			part := config.Model.Parts[partIdx]
			partIdx++
			if !wants(opts.filters, base, part.Name, part.Path) {
				continue
			}
			info, layerPath = part.LayerInfo, part.Path
			infof("Unpacking model part %s to %s", part.Name, part.Path)
		case "code":
			if codeIdx >= len(config.Code) {
				return fmt.Errorf("more code layers than code entries in the config (kit v1.7.0 would crash here)")
			}
			entry := config.Code[codeIdx]
			codeIdx++
			if !wants(opts.filters, base, entry.Path) {
				continue
			}
			info, layerPath = entry.LayerInfo, entry.Path
			infof("Unpacking code to %s", entry.Path)
		case "dataset":
			if datasetIdx >= len(config.DataSets) {
				return fmt.Errorf("more dataset layers than datasets in the config (kit v1.7.0 would crash here)")
			}
			entry := config.DataSets[datasetIdx]
			datasetIdx++
			if !wants(opts.filters, base, entry.Name, entry.Path) {
				continue
			}
			info, layerPath = entry.LayerInfo, entry.Path
			infof("Unpacking dataset %s to %s", entry.Name, entry.Path)
		case "docs":
			if docsIdx >= len(config.Docs) {
				return fmt.Errorf("more docs layers than docs entries in the config (kit v1.7.0 would crash here)")
			}
			entry := config.Docs[docsIdx]
			docsIdx++
			if !wants(opts.filters, base, entry.Path) {
				continue
			}
			info, layerPath = entry.LayerInfo, entry.Path
			infof("Unpacking docs to %s", entry.Path)
		default:
			return fmt.Errorf("unsupported layer type %s (kit v1.7.0 would crash here)", base)
		}

		extractDir := "."
		if info != nil {
			if info.Digest != layer.Digest.String() {
				return fmt.Errorf("digest in config and manifest do not match in %s", base)
			}
		} else {
			// Pre-1.0 ModelKits store names relative to the entry's parent directory.
			rel, err := verifySubpath(".", layerPath)
			if err != nil {
				return fmt.Errorf("error resolving %s path: %w", base, err)
			}
			extractDir = filepath.Dir(rel)
			if err := os.MkdirAll(extractDir, 0o755); err != nil {
				return fmt.Errorf("failed to create directory %s: %w", extractDir, err)
			}
		}
		if err := unpackLayer(ctx, repo, layer, extractDir, compression, opts); err != nil {
			return fmt.Errorf("failed to unpack: %w", err)
		}
	}
	return nil
}

// unpackKitfile writes the config re-serialised as YAML; an existing Kitfile is an
// error unless --overwrite is given or it is byte-identical.
func unpackKitfile(config *KitFile, overwrite bool) error {
	b, err := config.marshalYAML()
	if err != nil {
		return fmt.Errorf("failed to unpack config: %w", err)
	}
	if fi, err := os.Stat(defaultKitfileName); err == nil {
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("failed to unpack config: path %s exists and is not a regular file", defaultKitfileName)
		}
		if !overwrite {
			existing, err := os.ReadFile(defaultKitfileName)
			if err != nil {
				return fmt.Errorf("failed to read existing Kitfile: %w", err)
			}
			if bytes.Equal(existing, b) {
				infof("Found existing Kitfile at %s", defaultKitfileName)
				return nil
			}
			return fmt.Errorf("failed to unpack: Kitfile exists and does not match model's Kitfile")
		}
	}
	infof("Unpacking config to %s", defaultKitfileName)
	return os.WriteFile(defaultKitfileName, b, 0o644)
}

func unpackLayer(ctx context.Context, repo *localRepo, desc ocispec.Descriptor, extractDir, compression string, opts *unpackOptions) error {
	rc, err := repo.store.Fetch(ctx, desc)
	if err != nil {
		return fmt.Errorf("failed get layer %s: %w", desc.Digest, err)
	}
	defer rc.Close()
	var r io.Reader = rc
	switch compression {
	case "":
	case "gzip":
		gz, err := gzip.NewReader(rc)
		if err != nil {
			return fmt.Errorf("error setting up decompress: %w", err)
		}
		defer gz.Close()
		r = gz
	default:
		return fmt.Errorf("unsupported compression %s (kit v1.7.0 would crash here)", compression)
	}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		outPath := filepath.Join(extractDir, hdr.Name)
		// The process runs inside the unpack directory, so "." is the boundary.
		if _, err := verifySubpath(".", outPath); err != nil {
			return fmt.Errorf("illegal file path: %s: %w", outPath, err)
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			if fi, err := os.Stat(outPath); err == nil {
				if !fi.IsDir() {
					return fmt.Errorf("path '%s' already exists and is not a directory", outPath)
				}
			} else if err := os.MkdirAll(outPath, hdr.FileInfo().Mode()); err != nil {
				return fmt.Errorf("failed to create directory %s: %w", outPath, err)
			}
		case tar.TypeReg:
			if fi, err := os.Stat(outPath); err == nil {
				if opts.ignoreExisting {
					continue
				}
				if !opts.overwrite {
					return fmt.Errorf("path '%s' already exists", outPath)
				}
				if !fi.Mode().IsRegular() {
					return fmt.Errorf("path '%s' already exists and is not a regular file", outPath)
				}
			}
			if err := writeFile(outPath, hdr, tr); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unrecognized type in archive: %s", hdr.Name)
		}
	}
}

func writeFile(outPath string, hdr *tar.Header, r io.Reader) error {
	f, err := os.OpenFile(outPath, os.O_CREATE|os.O_TRUNC|os.O_RDWR, hdr.FileInfo().Mode())
	if err != nil {
		return fmt.Errorf("failed to create file %s: %w", outPath, err)
	}
	n, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("failed to write file %s: %w", outPath, err)
	}
	if n != hdr.Size {
		return fmt.Errorf("could not unpack file %s", outPath)
	}
	return nil
}
