package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// The Kitfile types below mirror kit v1.7.0's pkg/artifact KitFile: the field
// order and the json/yaml tags decide the exact bytes of the config blob
// (encoding/json writes fields in declaration order), so they must not be
// reordered or renamed.
type (
	KitFile struct {
		ManifestVersion string    `json:"manifestVersion" yaml:"manifestVersion"`
		Package         Package   `json:"package,omitempty" yaml:"package,omitempty"`
		Model           *Model    `json:"model,omitempty" yaml:"model,omitempty"`
		Code            []Code    `json:"code,omitempty" yaml:"code,omitempty"`
		DataSets        []DataSet `json:"datasets,omitempty" yaml:"datasets,omitempty"`
		Docs            []Docs    `json:"docs,omitempty" yaml:"docs,omitempty"`
	}

	Package struct {
		Name        string   `json:"name,omitempty" yaml:"name,omitempty"`
		Version     string   `json:"version,omitempty" yaml:"version,omitempty"`
		Description string   `json:"description,omitempty" yaml:"description,omitempty"`
		License     string   `json:"license,omitempty" yaml:"license,omitempty"`
		Authors     []string `json:"authors,omitempty" yaml:"authors,omitempty,flow"`
	}

	Docs struct {
		Path        string `json:"path" yaml:"path"`
		Description string `json:"description,omitempty" yaml:"description,omitempty"`
		*LayerInfo  `json:",inline" yaml:",inline"`
	}

	Model struct {
		Name        string      `json:"name,omitempty" yaml:"name,omitempty"`
		Path        string      `json:"path,omitempty" yaml:"path,omitempty"`
		License     string      `json:"license,omitempty" yaml:"license,omitempty"`
		Framework   string      `json:"framework,omitempty" yaml:"framework,omitempty"`
		Format      string      `json:"format,omitempty" yaml:"format,omitempty"`
		Version     string      `json:"version,omitempty" yaml:"version,omitempty"`
		Description string      `json:"description,omitempty" yaml:"description,omitempty"`
		Parts       []ModelPart `json:"parts,omitempty" yaml:"parts,omitempty"`
		Parameters  any         `json:"parameters,omitempty" yaml:"parameters,omitempty"`
		*LayerInfo  `json:",inline" yaml:",inline"`
	}

	ModelPart struct {
		Name       string `json:"name,omitempty" yaml:"name,omitempty"`
		Path       string `json:"path,omitempty" yaml:"path,omitempty"`
		License    string `json:"license,omitempty" yaml:"license,omitempty"`
		Type       string `json:"type,omitempty" yaml:"type,omitempty"`
		*LayerInfo `json:",inline" yaml:",inline"`
	}

	Code struct {
		Path        string `json:"path,omitempty" yaml:"path,omitempty"`
		Description string `json:"description,omitempty" yaml:"description,omitempty"`
		License     string `json:"license,omitempty" yaml:"license,omitempty"`
		*LayerInfo  `json:",inline" yaml:",inline"`
	}

	DataSet struct {
		Name        string `json:"name,omitempty" yaml:"name,omitempty"`
		Path        string `json:"path,omitempty" yaml:"path,omitempty"`
		Description string `json:"description,omitempty" yaml:"description,omitempty"`
		License     string `json:"license,omitempty" yaml:"license,omitempty"`
		Parameters  any    `json:"parameters,omitempty" yaml:"parameters,omitempty"`
		*LayerInfo  `json:",inline" yaml:",inline"`
	}

	// LayerInfo only ever lives in the config JSON; `yaml:"-"` makes a Kitfile
	// that mentions digest/diffId fail the strict YAML decode, as in kit.
	LayerInfo struct {
		Digest string `json:"digest,omitempty" yaml:"-"`
		DiffId string `json:"diffId,omitempty" yaml:"-"`
	}
)

var defaultKitfileNames = []string{"Kitfile", "kitfile", ".kitfile"}

const (
	ignoreFileName     = ".kitignore"
	defaultKitfileName = "Kitfile"
)

// loadKitfile decodes YAML strictly (unknown keys are errors), as kit's LoadModel does.
func loadKitfile(r io.Reader) (*KitFile, error) {
	kf := &KitFile{}
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(kf); err != nil {
		return nil, err
	}
	return kf, nil
}

func (kf *KitFile) marshalYAML() ([]byte, error) {
	buf := new(bytes.Buffer)
	enc := yaml.NewEncoder(buf)
	enc.SetIndent(2)
	if err := enc.Encode(kf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (kf *KitFile) marshalJSON() ([]byte, error) {
	return json.Marshal(kf)
}

// findKitfile returns the absolute path of the first default Kitfile name present in dir.
func findKitfile(dir string) (string, error) {
	for _, name := range defaultKitfileNames {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil || !os.IsNotExist(err) {
			return filepath.Abs(p)
		}
	}
	return "", fmt.Errorf("No Kitfile found in %s. Consider using the -f flag to specify its path", dir)
}

const partTypeMaxLen = 64

var partTypeRegexp = regexp.MustCompile(`^[\w][\w.-]*$`)

// validateKitfile applies the v1.7.0 checks: identical raw path strings, absolute
// paths and model part types. Errors are collected and sorted so the message is stable.
func validateKitfile(kf *KitFile) error {
	paths := map[string][]string{}
	addPath := func(p, source string) {
		if p == "" {
			p = "."
		}
		paths[p] = append(paths[p], source)
	}
	var errs []string
	if kf.Model != nil {
		addPath(kf.Model.Path, fmt.Sprintf("model %s", kf.Model.Name))
		for _, part := range kf.Model.Parts {
			addPath(part.Path, fmt.Sprintf("modelpart %s", part.Name))
			if part.Type != "" && !partTypeRegexp.MatchString(part.Type) {
				errs = append(errs, fmt.Sprintf("  * modelpart %s has invalid type (must be alphanumeric with dots, dashes, and underscores)", part.Name))
			}
			if len(part.Type) > partTypeMaxLen {
				errs = append(errs, fmt.Sprintf("  * modelpart %s type is too long (must be fewer than %d characters)", part.Name, partTypeMaxLen))
			}
		}
	}
	for _, ds := range kf.DataSets {
		addPath(ds.Path, fmt.Sprintf("dataset %s", ds.Name))
	}
	for idx, code := range kf.Code {
		addPath(code.Path, fmt.Sprintf("code layer %d", idx))
	}
	for idx, docs := range kf.Docs {
		addPath(docs.Path, fmt.Sprintf("docs layer %d", idx))
	}
	for p, ids := range paths {
		if n := len(ids); n > 1 {
			errs = append(errs, fmt.Sprintf("  * %s and %s use the same path %s", strings.Join(ids[:n-1], ", "), ids[n-1], p))
		}
		if path.IsAbs(p) || filepath.IsAbs(p) {
			errs = append(errs, fmt.Sprintf("  * absolute paths are not supported in a Kitfile (path %s in %s)", p, ids[0]))
		}
	}
	if len(errs) > 0 {
		slices.Sort(errs)
		return fmt.Errorf("errors while validating Kitfile: \n%s", strings.Join(errs, "\n"))
	}
	return nil
}

// layerPaths lists every cleaned layer path; a file under another layer's path is
// left out of the current layer (see ignoreRules.matches).
func layerPaths(kf *KitFile) []string {
	var out []string
	for _, c := range kf.Code {
		out = append(out, cleanPath(c.Path))
	}
	for _, d := range kf.DataSets {
		out = append(out, cleanPath(d.Path))
	}
	for _, d := range kf.Docs {
		out = append(out, cleanPath(d.Path))
	}
	if kf.Model != nil {
		if kf.Model.Path != "" {
			out = append(out, cleanPath(kf.Model.Path))
		}
		for _, p := range kf.Model.Parts {
			out = append(out, cleanPath(p.Path))
		}
	}
	return out
}

func cleanPath(p string) string {
	return filepath.Clean(strings.TrimSpace(p))
}

// isModelKitReference mirrors kit's heuristic: a path containing ':' or '@' that
// parses as a reference names a parent ModelKit instead of a file.
func isModelKitReference(p string) bool {
	if !strings.Contains(p, ":") && !strings.Contains(p, "@") {
		return false
	}
	_, _, err := parseReference(p)
	return err == nil
}
