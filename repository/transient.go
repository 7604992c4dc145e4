package repository

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/lib/pq"
)

// Transient reports whether err is worth retrying later rather than
// failing the file: the database was unreachable, went away, was shutting
// down or starting up, ran out of resources, or aborted the transaction
// for a serialization failure or deadlock; or the context expired or was
// canceled (the daemon is stopping); or the file could not be read or
// changed while it was (ErrEvidenceMismatch); or a prepared statement went
// stale under a schema change (StaleStatementError); or the database
// refused cacsd's own statements (Misconfigured). Errors in the data, such
// as a value out of range or a constraint violated, are permanent.
func Transient(err error) bool {
	var re *readError
	var stale *StaleStatementError
	switch {
	case err == nil:
		return false
	case errors.Is(err, ErrAlreadyImported):
		return false
	case errors.Is(err, ErrEvidenceMismatch), errors.As(err, &re), errors.As(err, &stale):
		return true
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return true
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ETIMEDOUT), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH):
		return true
	}

	if pe := pq.As(err); pe != nil {
		switch pe.Code.Class() {
		case "08", // connection exception
			"40", // transaction rollback: serialization failure, deadlock
			"53", // insufficient resources: disk full, out of memory, too many connections
			"57", // operator intervention: admin shutdown, cannot connect now
			"58": // system error: I/O error
			return true
		}
		if pe.Code == "55000" { // database not accepting connections (ALLOW_CONNECTIONS false)
			return true
		}
		return LockNotAvailable(err) || Misconfigured(err)
	}

	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}

	// Some failures reach us only as text: database/sql's closed pool has
	// no exported error, and a server that is starting or stopping may
	// answer before any typed error exists.
	msg := err.Error()
	for _, s := range transientMessages {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// Misconfigured reports whether err is the database refusing cacsd's own
// statements rather than a file's data: a privilege missing, a table or
// column the statement names not there (a schema older or newer than this
// build), the wrong password or database, or a server that takes reads
// only (a standby after a failover). No file is at fault, so each waits
// until an operator puts it right. Transient includes these.
func Misconfigured(err error) bool {
	pe := pq.As(err)
	if pe == nil {
		return false
	}
	switch pe.Code.Class() {
	case "28", // invalid authorization: wrong password, role not allowed
		"3D", // invalid catalog name: no such database
		"3F", // invalid schema name
		"42": // syntax error or access rule violation: no privilege, no such table or column
		return true
	}
	return pe.Code == "25006" // read-only SQL transaction
}

// LockNotAvailable reports whether err is a wait for a lock cut off by
// lock_timeout: another session held a row or table the statement needed.
func LockNotAvailable(err error) bool {
	pe := pq.As(err)
	return pe != nil && pe.Code == "55P03"
}

var transientMessages = []string{
	"sql: database is closed",
	"the database system is starting up",
	"the database system is shutting down",
	"the database system is in recovery mode",
}
