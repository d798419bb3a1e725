// Package boltstore is ocrbox's source of truth: users, sessions, tasks,
// the durable work queue, per-user statistics and the audit log, kept in one
// bbolt file (data_dir/ocrbox.db).
//
// # Bucket tree (schema version 5)
//
// Every bucket sits at the top level. Keys are bytes; "|" below only marks
// where one fixed-width part ends and the next begins: no separator byte is
// stored. Ids are canonical 36-character UUID strings (see NewID), times are
// 8-byte big-endian Unix nanoseconds (clamped to [1970, 2262]), so byte order
// is sort order and a prefix is listed with Cursor.Seek.
//
//	meta
//	  schema_version           -> uint64 big-endian, last migration applied
//	users
//	  <user id>                -> JSON domain.User
//	users_by_email
//	  <lower-cased email>      -> <user id>
//	tasks
//	  <task id>                -> JSON task record (every field of domain.Task,
//	                              including user_id, queued_at and files)
//	task_files
//	  <file id>                -> JSON file record with task_id and user_id
//	tasks_by_user
//	  <user id>|<created_at>|<task id>          -> nil
//	tasks_by_status
//	  <status code>|<queued_at>|<task id>       -> <user id>
//	tasks_by_user_status                                      (migration 4)
//	  <user id>|<status code>|<created_at>|<task id> -> nil
//	sessions
//	  <token hash>             -> JSON domain.Session
//	sessions_by_user
//	  <user id>|<token hash>   -> nil
//	sessions_by_refresh
//	  <refresh hash>           -> <token hash>
//	audit
//	  <time>|<seq uint64 BE>   -> JSON AuditEvent
//	audit_by_user                                 (migration 2)
//	  <user id>|<time>|<seq>   -> nil             (events with a user only)
//	user_stats
//	  <user id>                -> JSON Stats (running counters; per_day,
//	                              tasks per UTC creation day, since migration 3)
//	identities                                    (migration 5)
//	  <provider>\x00<subject>  -> <user id>       (who an external account is)
//	identities_by_user                            (migration 5)
//	  <user id>|<provider>\x00<subject> -> nil
//
// Status codes are one byte: 1 pending, 2 processing, 3 completed, 4 failed,
// 5 cancelled. The pending range of tasks_by_status, ordered by queued_at,
// is the worker queue; the terminal ranges, ordered by queued_at, are what
// the retention janitor walks.
//
// # Invariants
//
// Every index entry and the user_stats counters are written in the same
// transaction as the record they describe; a task update computes
// stats(new) - stats(old) and adds it. Token and refresh hashes are stored as
// given (the caller hashes); they are the last key part, so their length may
// vary.
//
// # Isolation
//
// Every task and file method takes the caller's user id and answers
// domain.ErrForbidden for another user's record. The only methods without a
// user id are the worker's queue path (ClaimNextPending, RequeueProcessing,
// QueueStats), the retention janitor's DeleteExpiredTasks and the search
// index rebuild's ScanTasks, which must never be reachable from a request
// handler. ListAudit reads only the caller's key range of audit_by_user.
//
// # Schema
//
// Open never migrates; Migrate applies the append-only list returned by
// Migrations, one transaction each. Update this comment with every migration.
package boltstore
