package idp

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

// mainModule is the first line of the repository's go.mod, used to find
// the repository root from a test's working directory.
const mainModule = "module github.com/ocrbox/ocrbox\n"

// buildMu serialises builds within one test binary; scripts/build-dex
// holds a file lock across test binaries.
var buildMu sync.Mutex

// dexBinary returns the dex executable to run: explicit, then
// $OCRBOX_DEX_BIN, then bin/dex in the repository, (re)built by
// scripts/build-dex, which is a no-op when it is up to date.
func dexBinary(explicit string) (string, error) {
	if explicit == "" {
		explicit = os.Getenv("OCRBOX_DEX_BIN")
	}
	if explicit != "" {
		if _, err := os.Stat(explicit); err != nil {
			return "", fmt.Errorf("dex binary: %w", err)
		}
		return explicit, nil
	}
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	cmd := exec.Command(filepath.Join(root, "scripts", "build-dex"))
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("scripts/build-dex: %v\n%s", err, out.String())
	}
	bin := filepath.Join(root, "bin", "dex")
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("dex binary: %w", err)
	}
	return bin, nil
}

// repoRoot walks up from the working directory (a test's package
// directory) to the directory holding the main module's go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(data, []byte(mainModule)) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("dex binary: repository root (go.mod of github.com/ocrbox/ocrbox) not found above the working directory")
		}
		dir = parent
	}
}
