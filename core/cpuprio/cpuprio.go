// Package cpuprio lowers the CPU priority (raises the nice value) of a
// process, every thread of it: OCR engines and page decoders run below the
// HTTP server, so the API answers quickly while the engines keep every
// core busy. On Linux a nice value belongs to a thread, and new threads
// inherit their creator's, so every existing thread is set.
package cpuprio

// MaxNice is the largest nice value.
const MaxNice = 19
