// Package integration holds the tests that start the real ocrbox binary
// (built once per run, see main_test.go) with real tesseract, real bbolt
// files, real plugin processes and, where a test needs them, Dex, an LDAP
// server, Toxiproxy and NATS worker nodes. Everything but this file is a
// _test.go file: the helpers (server_helpers_test.go, client_helpers_test.go,
// …) use the binary the test run built, so they are not part of any build.
package integration
