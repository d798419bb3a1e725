// Package pagehelper decodes uploaded pages, and assembles searchable
// PDFs, outside the server process.
//
// The server reads only headers (core/pages.Open, pure Go). Every page's
// pixels are decoded by a helper process: this binary re-executed as the
// hidden subcommand `ocrbox pagehelper`, like the built-in plugins, one
// process per page. The helper reads a pages.Job as JSON on stdin, applies
// its resource limits before it reads any input, runs pages.Extract
// (leptonica and libtiff in-process, poppler's pdftoppm for PDFs as a
// child) and answers with the page's size, resolution and file as JSON on
// stdout. The page goes to the engine by file, never through the server's
// memory.
//
// Limits, applied by the helper to itself first thing (setrlimit): address
// space (RLIMIT_AS, what it had mapped at start plus a budget the server
// derives from limits.max_megapixels), CPU time (RLIMIT_CPU, the page
// timeout), file size (RLIMIT_FSIZE, the largest page it may write) and no
// core dumps (RLIMIT_CORE 0: a crash must not leave a user's page on disk).
// The server starts it in new user and network namespaces when the kernel
// allows unprivileged ones, so a decoder exploit has no network; where it
// cannot, the helper runs without and the server logs that once. Its
// environment is minimal (no secrets), it dies with the server
// (Pdeathsig), and its process group is killed at the wall-clock timeout.
//
// Failure semantics: a page the decoder reports unreadable or too large is
// a permanent *domain.Error, exactly as in-process decoding was. A helper
// that crashes (a signal, a Go runtime abort, any exit without an answer),
// hangs past the timeout or hits its CPU limit fails only that page
// attempt, with an error that wraps domain.ErrTransient; the worker
// retries it like an engine crash. The server is never at risk.
//
// The searchable PDF is assembled by the same helper (AssemblePDF): pdfcpu
// holds the whole upload and every text layer in memory while it builds
// the document, which must not be the server's heap. The job names the
// files (outputs.PDFFiles); the output is the helper's descriptor 3, a
// file the server opened in the task's directory. Its limits grow with the
// bytes it reads and its pages (assemble.go); its failures are reported as
// a page's are.
//
// Why a process per page rather than one per task: start-up of the
// re-executed binary is ~70 ms of a 0.5–2 s page (measured, see
// docs/benchmarks.md), most single-page tasks would pay it once either
// way, and a fresh process per page gives each page its own limits and
// keeps one hostile page from touching the next.
package pagehelper
