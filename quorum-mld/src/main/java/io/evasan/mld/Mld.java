package io.evasan.mld;

import io.evasan.error.StorageException;

import java.util.List;
import java.util.Optional;

/**
 * The mirrored MLD: a store of records {@code (kind, key) -> bytes}. Kinds are namespaces
 * owned by one layer each (e.g. {@code "lun"}, {@code "mapping.meta"}, later
 * {@code "sharing.tree"}, {@code "presentation"}, {@code "admin"}).
 *
 * <p>Invariant: the visible state is exactly the state of the last commit that returned
 * normally, and that state is on at least one quorum area (normally all chosen copies) with a
 * valid checksum before {@link #commit} returns. A commit is atomic: after a crash at any
 * instant, reopening yields either the previous or the new state, never a mix.
 * Thread-safe.
 */
public interface Mld extends AutoCloseable {
    /** Generation of the last commit (0 for a fresh, never-committed MLD). */
    long generation();

    Optional<byte[]> get(String kind, String key);

    /** Keys of one kind, sorted. */
    List<String> keys(String kind);

    /**
     * Applies {@code batch} atomically and writes it to every chosen copy before returning.
     *
     * @throws StorageException {@code WRITE_FAULT} when no copy could be written (state
     *                          unchanged); {@code SPACE_ALLOCATION_FAILED} when the records no
     *                          longer fit in a slot (state unchanged)
     */
    void commit(MldBatch batch) throws StorageException;

    /** Number of quorum areas that held a valid copy of the current generation at open or got it at the last commit. */
    int goodCopies();

    /**
     * What opening found and did, one line each (damaged copies rewritten from a good copy,
     * an accepted rollback); every line was also logged at WARN. Empty when all was well.
     */
    default List<String> openReport() {
        return List.of();
    }

    /** Bytes of payload of the current state (what one slot holds). */
    int payloadBytes();

    @Override
    void close();
}
