// Command ocrbox is a self-hosted multi-user OCR service in one binary.
// See README.md; the subcommands live in core/cli.
package main

import (
	"os"

	"github.com/ocrbox/ocrbox/core/cli"
)

func main() { os.Exit(cli.Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
