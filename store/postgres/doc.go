// Package postgres is docent's store in a PostgreSQL database, shared by
// several `docent serve` replicas behind a load balancer. It implements
// store.Store with the behaviour the conformance suite (store/storetest)
// specifies for every backend, and what replicas coordinate through:
//
//   - a change log (store.ChangeFeed): every transaction that changes
//     what a search index holds appends rows to table changes as its last
//     step, under an advisory lock held until commit, so sequence numbers
//     follow commit order, and NOTIFYs docent_changes. Each replica builds
//     its in-memory index from a snapshot that knows its last change and
//     applies the log from there (LISTEN wakes it; it also polls every
//     second, so a lost notification costs at most that). A removal
//     carries the stored terms of the chunks it removed, for the keyword
//     statistics; an addition is read back only while no later change has
//     rewritten the document. Changes older than an hour are pruned; a
//     replica cut off longer rebuilds from a snapshot.
//   - the ingest queue: an upload is stored (bytea) with its document and
//     its job in one transaction; replicas claim jobs with FOR UPDATE SKIP
//     LOCKED, lease them, renew the lease while they work, and take over a
//     job whose lease ran out (its replica died).
//   - conversation leases, so that a conversation's exchanges stay in
//     order whichever replica answers them, rate-limit counters that hold
//     across replicas, and the token signing secret.
//
// Records keep their full form in a jsonb column beside the columns that
// lookups, uniqueness, ordering and deletes need; chunks and vectors are
// columns of their own and are written with COPY. The schema is the
// numbered .sql files in migrations/, embedded in the binary and applied
// in order under an advisory lock, so replicas starting together migrate
// once; a database migrated by a newer docent is refused.
package postgres
