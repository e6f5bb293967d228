package io.evasan.raid.rstore;

/**
 * Protection level of an RStore. Every RStore is 8 MB of virtual space regardless of level
 * (seed 004 [0074]); the level fixes how many 2 MB PSEGs back it.
 */
public enum RaidLevel {
    /** 4 PSEGs striped, no redundancy. */
    RAID0(4, 4),
    /** 4 mirrored pairs on paired (even/odd) drives: 8 PSEGs. */
    RAID1(4, 8),
    /** 4 data + 1 rotating parity PSEG. */
    RAID5(4, 5);

    private final int dataPsegs;
    private final int totalPsegs;

    RaidLevel(int dataPsegs, int totalPsegs) {
        this.dataPsegs = dataPsegs;
        this.totalPsegs = totalPsegs;
    }

    /** PSEGs holding user data (4 for every level: 4 x 2 MB = 8 MB). */
    public int dataPsegs() {
        return dataPsegs;
    }

    /** PSEGs an RStore of this level consumes, redundancy included. */
    public int totalPsegs() {
        return totalPsegs;
    }
}
