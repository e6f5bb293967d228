package io.evasan.mgmt.impl;

import io.evasan.error.StorageException;
import io.evasan.nsc.api.Records;

import java.util.ArrayList;
import java.util.List;

/**
 * Where the management layer keeps its small named records (hosts, schedules): the cell's {@link Records}
 * (the MLD) under one kind, key = the record's name. The bytes are stored exactly as given (the caller's
 * {@code *Descriptor} owns the layout and its CRC).
 *
 * <p>Invariants: a {@link #put} or {@link #remove} has returned only once the change is committed to the MLD
 * (and appended to the cell log as one record). Failures are {@link StorageException}s.
 */
final class RecordStore {
    private final Records records;
    private final String kind;

    /**
     * @param records the cell's records
     * @param kind    the MLD kind
     */
    RecordStore(Records records, String kind) {
        this.records = java.util.Objects.requireNonNull(records, "records");
        this.kind = kind;
    }

    /** Every stored record, undecoded. */
    List<byte[]> loadAll() {
        List<byte[]> out = new ArrayList<>();
        for (String k : records.keys(kind)) {
            records.get(kind, k).ifPresent(out::add);
        }
        return out;
    }

    /** Stores (or replaces) the record {@code name}, durably. */
    void put(String name, byte[] record) {
        records.put(kind, name, record);
    }

    /** Removes the record {@code name} (nothing happens when there is none), durably. */
    void remove(String name) {
        records.remove(kind, name);
    }
}
