//go:build ignore

// gen_ignore answers .kitignore questions with the real moby/patternmatcher v0.6.0, the way kit's
// ignore.New + ignorePaths.Matches use it: ignorefile.ReadAll, then the Kitfile names and .kitignore
// appended, then MatchesOrParentMatches(filepath.Clean(strings.TrimSpace(path))).
//
//	go run gen_ignore.go kitwalk.go table CASES.json
//	    -> JSON list of {"id", "error", "exclusions", "matches"}
//	go run gen_ignore.go kitwalk.go walk CTX MODE LAYER...
//	    -> JSON list (one per LAYER) of the entry names kit's writeLayerToTar would write, MODE
//	       "segment" (newer kit's isWithin) or "prefix" (kit v1.7.0's HasPrefix)
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// The cases file holds one path list shared by every ignore file.
type caseFile struct {
	Paths []string     `json:"paths"`
	Cases []ignoreCase `json:"cases"`
}

type ignoreCase struct {
	ID         string `json:"id"`
	IgnoreFile string `json:"ignorefile"`
}

// Matches has one character per path: '1' ignored, '0' kept.
type ignoreResult struct {
	ID         string `json:"id"`
	Error      bool   `json:"error"`
	Exclusions bool   `json:"exclusions"`
	Matches    string `json:"matches"`
}

func newMatcher(ignoreFile string) (*patternmatcher.PatternMatcher, error) {
	patterns, err := ignorefile.ReadAll(strings.NewReader(ignoreFile))
	if err != nil {
		return nil, err
	}
	patterns = append(patterns, "Kitfile", "kitfile", ".kitfile", ".kitignore")
	return patternmatcher.New(patterns)
}

func evaluate(c ignoreCase, paths []string) ignoreResult {
	res := ignoreResult{ID: c.ID}
	pm, err := newMatcher(c.IgnoreFile)
	if err != nil {
		res.Error = true
		return res
	}
	res.Exclusions = pm.Exclusions()
	var matches strings.Builder
	for _, p := range paths {
		m, err := pm.MatchesOrParentMatches(filepath.Clean(strings.TrimSpace(p)))
		if err != nil {
			res.Error = true
			return res
		}
		if m {
			matches.WriteByte('1')
		} else {
			matches.WriteByte('0')
		}
	}
	res.Matches = matches.String()
	return res
}

func cleanPath(p string) string {
	return filepath.Clean(strings.TrimSpace(p))
}

// isWithin is newer kit's path-segment test; kit v1.7.0 used strings.HasPrefix instead.
func isWithin(path, dir string) bool {
	if dir == "." {
		return true
	}
	return path == dir || strings.HasPrefix(path, dir+string(filepath.Separator))
}

// walk replays kit's writeLayerToTar (walk from ".", Lstat, same-tree test with its ".." quirk,
// ignore file + layer cross-exclusion, SkipDir unless the ignore file has exclusions) and lists names.
func walk(ctx, mode string, layers []string) ([][]string, error) {
	if err := os.Chdir(ctx); err != nil {
		return nil, err
	}
	ignoreFile, err := os.ReadFile(".kitignore")
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	pm, err := newMatcher(string(ignoreFile))
	if err != nil {
		return nil, err
	}
	within := isWithin
	if mode == "prefix" {
		within = func(path, dir string) bool { return strings.HasPrefix(path, dir) }
	}
	matches := func(path, layerPath string) (bool, error) {
		path, layerPath = cleanPath(path), cleanPath(layerPath)
		if m, err := pm.MatchesOrParentMatches(path); err != nil || m {
			return m, err
		}
		for _, layer := range layers {
			layer = cleanPath(layer)
			if within(layerPath, layer) {
				continue
			}
			if within(path, layer) {
				return true, nil
			}
		}
		return false, nil
	}
	all := [][]string{}
	for _, layer := range layers {
		base := filepath.Clean(layer)
		names := []string{}
		err := walkLayer(base, func(file string, fi os.FileInfo) error {
			ignored, err := matches(file, base)
			if err != nil {
				return err
			}
			if ignored {
				if !pm.Exclusions() && fi.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			names = append(names, filepath.ToSlash(file))
			return nil
		})
		if err != nil {
			return nil, err
		}
		all = append(all, names)
	}
	return all, nil
}

func table(casesPath string) error {
	raw, err := os.ReadFile(casesPath)
	if err != nil {
		return err
	}
	var file caseFile
	if err := json.Unmarshal(raw, &file); err != nil {
		return err
	}
	results := make([]ignoreResult, 0, len(file.Cases))
	for _, c := range file.Cases {
		results = append(results, evaluate(c, file.Paths))
	}
	enc, err := json.MarshalIndent(results, "", " ")
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(append(enc, '\n'))
	return err
}

func main() {
	var err error
	switch {
	case len(os.Args) == 3 && os.Args[1] == "table":
		err = table(os.Args[2])
	case len(os.Args) >= 5 && os.Args[1] == "walk":
		var names [][]string
		names, err = walk(os.Args[2], os.Args[3], os.Args[4:])
		if err == nil {
			var enc []byte
			enc, err = json.Marshal(names)
			os.Stdout.Write(append(enc, '\n'))
		}
	default:
		err = fmt.Errorf("usage: gen_ignore table CASES.json | gen_ignore walk CTX segment|prefix LAYER...")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
