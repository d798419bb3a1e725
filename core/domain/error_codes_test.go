package domain

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestErrorCodesAreDistinctSnakeCase(t *testing.T) {
	snake := regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)
	seen := map[string]bool{}
	for _, c := range ErrorCodes {
		if !snake.MatchString(c) || seen[c] {
			t.Errorf("code %q: not snake_case, or listed twice", c)
		}
		seen[c] = true
	}
}

// TestEveryCodeIsDeclared reads the module's Go source and checks that
// every code given to Errorf, Wrap or an Error literal is one of
// ErrorCodes, so a code written as a bare string cannot drift from the list
// that openapi.json documents.
func TestEveryCodeIsDeclared(t *testing.T) {
	root := filepath.Join("..", "..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not at %s: %v", root, err)
	}
	fset := token.NewFileSet()
	found := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "node_modules", "testdata", "vendor", ".git":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		inDomain := f.Name.Name == "domain"
		ast.Inspect(f, func(n ast.Node) bool {
			for _, code := range codeArgs(n, inDomain) {
				lit, ok := code.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue // a constant (checked by the compiler) or a variable
				}
				found++
				s, _ := strconv.Unquote(lit.Value)
				if !slices.Contains(ErrorCodes, s) {
					t.Errorf("%s: code %q is not in domain.ErrorCodes", fset.Position(lit.Pos()), s)
				} else if testing.Verbose() {
					t.Logf("%s: %q is a constant's value; use the constant", fset.Position(lit.Pos()), s)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d codes still written as strings (each one of ErrorCodes)", found)
}

// codeArgs returns the code expressions of n if it is a call of Errorf or
// Wrap, or an Error composite literal (qualified with domain. outside this
// package).
func codeArgs(n ast.Node, inDomain bool) []ast.Expr {
	name := func(e ast.Expr) string {
		switch e := e.(type) {
		case *ast.Ident:
			if inDomain {
				return e.Name
			}
		case *ast.SelectorExpr:
			if x, ok := e.X.(*ast.Ident); ok && x.Name == "domain" {
				return e.Sel.Name
			}
		}
		return ""
	}
	switch n := n.(type) {
	case *ast.CallExpr:
		switch name(n.Fun) {
		case "Errorf":
			if len(n.Args) > 1 {
				return []ast.Expr{n.Args[1]}
			}
		case "Wrap":
			if len(n.Args) > 2 {
				return []ast.Expr{n.Args[2]}
			}
		}
	case *ast.CompositeLit:
		if name(n.Type) != "Error" {
			return nil
		}
		for _, el := range n.Elts {
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Code" {
					return []ast.Expr{kv.Value}
				}
			}
		}
	}
	return nil
}
