package io.evasan.nsc.cell.impl;

import io.evasan.mld.Mld;
import io.evasan.mld.MldBatch;
import io.evasan.nsc.api.Records;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@link Records} in the MLD: record {@code kind}/{@code key} is the MLD record of that kind and key, each
 * put or remove one committed {@link MldBatch} (the layout the management appliance has always written).
 */
public final class MldRecords implements Records {
    private final Mld mld;

    public MldRecords(Mld mld) {
        this.mld = Objects.requireNonNull(mld, "mld");
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
    public void put(String kind, String key, byte[] record) {
        mld.commit(new MldBatch().put(kind, key, record));
    }

    @Override
    public void remove(String kind, String key) {
        mld.commit(new MldBatch().remove(kind, key));
    }
}
