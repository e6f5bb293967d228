package io.evasan.nsc.cell.impl;

import io.evasan.mld.Mld;
import io.evasan.mld.MldBatch;
import io.evasan.nsc.api.CellRecord;
import io.evasan.nsc.api.Records;
import io.evasan.nsc.cell.CommandLog;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@link Records} in the MLD: record {@code kind}/{@code key} is the MLD record of that kind and key, each
 * put or remove one committed {@link MldBatch} (the layout the management appliance has always written),
 * then one {@link CellRecord} in the cell's {@link CommandLog}. Puts and removes run one at a time, so the
 * records are in the order the MLD committed them.
 */
public final class MldRecords implements Records {
    private final Mld mld;

    private final CommandLog log;

    public MldRecords(Mld mld, CommandLog log) {
        this.mld = Objects.requireNonNull(mld, "mld");
        this.log = Objects.requireNonNull(log, "log");
    }

    @Override
    public List<String> keys(String kind) {
        return new ArrayList<>(mld.keys(kind));
    }

    @Override
    public Optional<byte[]> get(String kind, String key) {
        return mld.get(kind, key);
    }

    @Override
    public synchronized void put(String kind, String key, byte[] record) {
        mld.commit(new MldBatch().put(kind, key, record));
        log.append(new CellRecord.RecordPut(kind, key, record));
    }

    @Override
    public synchronized void remove(String kind, String key) {
        if (mld.get(kind, key).isEmpty()) {
            return;   // nothing to remove: no change, no record
        }
        mld.commit(new MldBatch().remove(kind, key));
        log.append(new CellRecord.RecordRemoved(kind, key));
    }
}
