package io.evasan.nsc.lun.impl;

import io.evasan.mld.Mld;
import io.evasan.mld.MldBatch;
import io.evasan.nsc.lun.LunStore;

/**
 * {@link LunStore} as one record of the mirrored MLD (kind {@value #KIND}, key = the controller's
 * name): the LUN catalogue and presentation then live on the pool's quorum drives with generation
 * and checksum, and any surviving copy restores them (DESIGN §8). Each store is one atomic MLD commit.
 */
public final class MldLunStore implements LunStore {
    public static final String KIND = "nsc.luns";

    private final Mld mld;
    private final String key;

    public MldLunStore(Mld mld, String key) {
        this.mld = mld;
        this.key = key;
    }

    @Override
    public byte[] load() {
        return mld.get(KIND, key).orElse(null);
    }

    @Override
    public void store(byte[] bytes) {
        mld.commit(new MldBatch().put(KIND, key, bytes));
    }

    @Override
    public String describe() {
        return "MLD record " + KIND + "/" + key;
    }
}
