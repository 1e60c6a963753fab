//go:build ignore

// gen_golden produces reference tar bytes with Go's own archive/tar, sanitising headers exactly as
// kit's writeLayerToTar/sanitizeTarHeader do (pkg/lib/kitfile/layer.go). Stdlib only.
//
//	go run gen_golden.go kitwalk.go headers CASES.json -> JSON {id: {"sha256": ..., "hex": ...}} on stdout
//	go run gen_golden.go kitwalk.go tree CTX LAYER OUT -> kit's tar of LAYER (relative to CTX) written to OUT
//
// The tests in this folder re-run it and compare with both the committed golden file and Python.
package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

type headerCase struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Mode int64  `json:"mode"`
	Size int64  `json:"size"`
	Dir  bool   `json:"dir"`
	Hex  bool   `json:"hex"`
}

type headerResult struct {
	Sha256 string `json:"sha256"`
	Hex    string `json:"hex,omitempty"`
}

func sanitize(h *tar.Header) {
	h.Name = filepath.ToSlash(h.Name)
	h.AccessTime = time.Time{}
	h.ModTime = time.Time{}
	h.ChangeTime = time.Time{}
	h.Uid = 1000
	h.Gid = 0
	h.Uname = ""
	h.Gname = ""
}

// headers writes one header per case (the fields tar.FileInfoHeader fills for a regular file or a
// directory) and records exactly the bytes WriteHeader emits, so sizes >= 8 GiB need no data.
func headers(casesPath string) error {
	raw, err := os.ReadFile(casesPath)
	if err != nil {
		return err
	}
	var cases []headerCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		return err
	}
	out := map[string]headerResult{}
	for _, c := range cases {
		h := &tar.Header{Name: c.Name, Mode: c.Mode, Typeflag: tar.TypeReg, Size: c.Size}
		if c.Dir {
			h.Typeflag = tar.TypeDir
			h.Size = 0
		}
		sanitize(h)
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("%s: %w", c.ID, err)
		}
		sum := sha256.Sum256(buf.Bytes())
		res := headerResult{Sha256: hex.EncodeToString(sum[:])}
		if c.Hex {
			res.Hex = hex.EncodeToString(buf.Bytes())
		}
		out[c.ID] = res
	}
	enc, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(append(enc, '\n'))
	return err
}

// tree is kit v1.7.0's writeLayerToTar without ignore rules (walkLayer, in kitwalk.go).
func tree(ctx, layer, outPath string) error {
	if err := os.Chdir(ctx); err != nil {
		return err
	}
	base := filepath.Clean(layer)
	out, err := os.Create(outPath)
	if err != nil {
		return err
	}
	defer out.Close()
	tw := tar.NewWriter(out)
	err = walkLayer(base, func(file string, fi os.FileInfo) error {
		h, err := tar.FileInfoHeader(fi, "")
		if err != nil {
			return err
		}
		h.Name = file
		sanitize(h)
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if fi.IsDir() {
			return nil
		}
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

func main() {
	var err error
	switch {
	case len(os.Args) == 3 && os.Args[1] == "headers":
		err = headers(os.Args[2])
	case len(os.Args) == 5 && os.Args[1] == "tree":
		err = tree(os.Args[2], os.Args[3], os.Args[4])
	default:
		err = fmt.Errorf("usage: gen_golden headers CASES.json | gen_golden tree CTX LAYER OUT")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
