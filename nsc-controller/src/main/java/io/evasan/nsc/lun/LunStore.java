package io.evasan.nsc.lun;

import io.evasan.error.StorageException;

/**
 * Where a {@link LunTable} keeps its encoded state ({@link LunTableDescriptor} bytes).
 * Invariant: {@link #store} is atomic and durable when it returns — a later {@link #load}, also
 * after a crash at any instant, returns either the previous or the new bytes, never a mix.
 */
public interface LunStore {
    /** The last stored bytes, or null when nothing was ever stored. */
    byte[] load() throws StorageException;

    void store(byte[] bytes) throws StorageException;

    /** For messages: where the table lives. */
    String describe();
}
