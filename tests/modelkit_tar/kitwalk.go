//go:build ignore

// kitwalk is the walk both reference programs share (built with each: go run gen_golden.go kitwalk.go,
// go run gen_ignore.go kitwalk.go). Stdlib only.
package main

import (
	"os"
	"path/filepath"
	"strings"
)

// walkLayer is kit's writeLayerToTar loop (pkg/lib/kitfile/layer.go): walk the whole context from
// ".", keep regular files and directories in the same tree as the layer path (with kit's ".."
// substring test) and hand each to visit, which may return filepath.SkipDir.
func walkLayer(base string, visit func(file string, fi os.FileInfo) error) error {
	sameDirTree := func(a, b string) bool {
		aToB, errA := filepath.Rel(a, b)
		bToA, errB := filepath.Rel(b, a)
		if errA != nil || errB != nil {
			return false
		}
		return !(strings.Contains(aToB, "..") && strings.Contains(bToA, ".."))
	}
	return filepath.Walk(".", func(file string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if file == "." {
			return nil
		}
		if !fi.Mode().IsRegular() && !fi.Mode().IsDir() {
			return nil
		}
		if !sameDirTree(base, file) {
			if fi.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		return visit(file, fi)
	})
}
