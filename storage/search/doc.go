// Package search is ocrbox's full-text index of tasks (bleve, scorch), kept
// in data_dir/search.bleve. It is derived data: bbolt is the source of
// truth, and the index can always be thrown away and rebuilt from it.
//
// # Documents
//
// One document per task, its id the task id:
//
//	user_id          keyword          who owns the task; every query is AND-ed with it
//	task_id          keyword, stored  the task id
//	filename         text             the display name, split on separators (_ . - …), lower-cased
//	filename_prefix  text             the same tokens as edge n-grams (1–24 runes), for "starts with"
//	filename_sort    keyword          the whole name, lower-cased, for sorting
//	status           keyword          pending | processing | completed | failed | cancelled
//	created_at       datetime
//	completed_at     datetime         absent until the task ends
//	duration_ms      numeric
//	pages            numeric          pages_total
//	text             text (standard)  the recognised text; indexed, not stored
//
// The filename analyser is the standard one without stop words and with
// separators turned into spaces first, so "invoice_2024-03.pdf" is found by
// "invoice", "2024" and "pdf" (the standard tokenizer would keep
// "invoice_2024" as one word).
//
// # Query safety
//
// User input never reaches bleve's query-string syntax. Search builds query
// objects: the text of Query.Q is analysed into plain terms (so "+", "*",
// ":", quotes and backslashes are just characters, mostly dropped by the
// tokenizer) and every query is a conjunction that includes a term query on
// user_id. An empty or all-punctuation Q matches nothing rather than
// everything.
//
// # Versions and recovery
//
// MappingVersion is stored in the index's internal storage when a build
// completes (Rebuild or MarkBuilt), together with a clean-shutdown marker
// that Close writes. Open recreates an empty index, and reports that a
// rebuild is needed, when the directory is missing, cannot be opened
// (corrupt), carries an older mapping version, was never completely built,
// or was not closed cleanly (updates may be lost in a crash).
package search
