// gen_vectors prints test vectors for kitlab's Go-compatible JSON encoder (kitlab/kitfile/gojson.py).
//
// Every line is one json.Marshal'ed object {"kind", "input", "output"}: "input" describes the Go value
// in a lossless form (float64 bits, string bytes, both in hex) and "output" is the exact text
// encoding/json produced for it. tests/kitfile/test_gojson.py runs this program with `go run` and
// compares its output with the committed vectors/gojson.jsonl, then checks the Python encoder against it.
// Standard library only, so it runs with nothing but a Go toolchain.
package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
)

type vector struct {
	Kind   string `json:"kind"`
	Input  any    `json:"input"`
	Output string `json:"output"`
}

func emit(kind string, input any, value any) {
	out, err := json.Marshal(value)
	if err != nil {
		out = []byte("error")
	}
	line, err := json.Marshal(vector{Kind: kind, Input: input, Output: string(out)})
	if err != nil {
		panic(err)
	}
	fmt.Println(string(line))
}

func main() {
	floats := []float64{
		0, math.Copysign(0, -1), 1, -1, 0.5, 1200, 12.3, 0.1, 0.1 + 0.2, 1.0 / 3, 2.0 / 3, 100, 1e6, 1e7,
		123456.789, 1e-5, 1e-6, 0.000001234, 9.99999e-7, 1e-7, 1.5e-7, 2.5e-10, 1e-100, 1e20,
		123456789012345678901.0, 1e21, 1.5e21, 1e22, 1e100, 1.7976931348623157e308, 5e-324,
		-1e21, -1e-7, 255, 4294967296, 9007199254740993, 3.14159265358979, 6.02214076e23, 1e+300,
	}
	for _, f := range floats {
		emit("float", fmt.Sprintf("%016x", math.Float64bits(f)), f)
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		emit("float", fmt.Sprintf("%016x", math.Float64bits(f)), f)
	}

	ints := []int64{0, 1, -1, 255, 1 << 53, math.MaxInt64, math.MinInt64}
	for _, i := range ints {
		emit("int", fmt.Sprintf("%d", i), i)
	}
	emit("int", "18446744073709551615", uint64(math.MaxUint64))

	strs := []string{
		"", "hello", "<a href=\"x\">&amp;</a>", "\u2028\u2029", "\n\r\t\"\\", "\b\f",
		"\x00\x01\x07\x0b\x0e\x1f", "\x7f", "héllo wörld", "日本語", "😀", "'/`", "\xff", "a\xe2\x82b",
		"\xed\xa0\x80", "\xef\xbf\xbd", "\xc0\xaf", "\xf4\x90\x80\x80", "tail\xe2\x82", "\u0085\u00a0\ufeff",
	}
	for _, s := range strs {
		emit("string", hex.EncodeToString([]byte(s)), s)
	}

	keys := []string{"b", "a", "B", "é", "aa", "", "a\x00", "Z", "_", "1", "10", "2", "😀", "\uffff"}
	m := map[string]int{}
	var hexKeys []string
	for i, k := range keys {
		m[k] = i
		hexKeys = append(hexKeys, hex.EncodeToString([]byte(k)))
	}
	emit("map", hexKeys, m)
}
