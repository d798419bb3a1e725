package docs

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestPackageMapIsComplete keeps architecture.md's package map, the first
// page a newcomer reads, in step with the tree: every Go package is named
// in it (itself or a folder above it, as scripts/ stands for the benchmark
// programs), and every path it names exists.
func TestPackageMapIsComplete(t *testing.T) {
	doc, err := os.ReadFile("architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)## Package map\n+```\n(.*?)\n```").FindSubmatch(doc)
	if block == nil {
		t.Fatal("architecture.md: no ``` block under ## Package map")
	}
	listed := map[string]bool{}
	for _, line := range strings.Split(string(block[1]), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		p := strings.TrimSuffix(fields[0], "/")
		listed[p] = true
		if _, err := os.Stat(filepath.Join("..", filepath.FromSlash(p))); err != nil {
			t.Errorf("the package map names %s, which is not in the tree", p)
		}
	}
	covered := func(dir string) bool {
		for d := dir; d != "."; d = filepath.ToSlash(filepath.Dir(d)) {
			if listed[d] {
				return true
			}
		}
		return false
	}
	seen := map[string]bool{}
	err = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "node_modules", "testdata", "vendor", ".git", "dist":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, err := filepath.Rel("..", filepath.Dir(path))
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == "." || rel == "docs" || seen[rel] {
			return nil // main.go is the map's first line; docs holds this test
		}
		seen[rel] = true
		if !covered(rel) {
			t.Errorf("package %s is not in architecture.md's package map", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) < 40 {
		t.Fatalf("found only %d packages; is the walk starting at the module root?", len(seen))
	}
}
