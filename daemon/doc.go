// Package daemon owns the life of an export file: discovering it in the
// inbox (a periodic scan, sped up by fsnotify), waiting for it to settle,
// handing it to a bounded pool of workers, importing it in one transaction,
// moving it to processed/ or failed/, retrying transient errors with
// backoff, and draining on shutdown.
//
// It knows files, not XML or SQL: decoding is package mapping's job and the
// transaction is package repository's.
package daemon
