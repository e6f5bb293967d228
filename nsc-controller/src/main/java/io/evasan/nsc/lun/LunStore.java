package io.evasan.nsc.lun;

import io.evasan.error.StorageException;

/**
 * Where a {@link LunTable} keeps its state. Invariant: {@link #store} is atomic and durable when it
 * returns — a later {@link #load}, also after a crash at any instant, returns either the previous or
 * the new content, never a mix; a store that throws leaves the previous content.
 */
public interface LunStore {
    /**
     * The last stored content, or null when nothing was ever stored.
     *
     * @throws StorageException CORRUPT_METADATA for damaged content (left untouched), IO_ERROR
     */
    LunTableDescriptor.Content load() throws StorageException;

    /**
     * Replaces {@code previous} (what the last {@link #load} returned or the last store stored; an
     * empty content after a load that returned null) by {@code next}. A store may write only what
     * differs, so its cost can follow the change rather than the table.
     */
    void store(LunTableDescriptor.Content previous, LunTableDescriptor.Content next) throws StorageException;

    /** For messages: where the table lives. */
    String describe();
}
