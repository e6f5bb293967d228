package io.evasan.nsc.api;

import java.util.List;
import java.util.Optional;

/**
 * The cell's small named metadata records (the management layer's hosts, snapshot schedules and admin
 * token hash): bytes under a kind and a key, kept in the MLD (mirrored on the quorum drives) with the
 * layouts their writers own (e.g. mgmt-ui's {@code HostDescriptor}). Kinds and keys are the MLD's, so
 * records written before this interface existed open unchanged.
 *
 * <p>Invariant: {@link #put} and {@link #remove} return only once the change is durable; each is one
 * atomic command. Failures are {@code io.evasan.error.StorageException}s.
 */
public interface Records {
    /** The keys stored under {@code kind}. */
    List<String> keys(String kind);

    /** The record {@code kind}/{@code key}, if stored. */
    Optional<byte[]> get(String kind, String key);

    /** Stores (or replaces) the record {@code kind}/{@code key}, durably. */
    void put(String kind, String key, byte[] record);

    /** Removes the record {@code kind}/{@code key} (nothing happens when there is none), durably. */
    void remove(String kind, String key);
}
