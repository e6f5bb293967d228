package io.evasan.raid.rsd;

import io.evasan.raid.pseg.PsegAddress;
import io.evasan.raid.rstore.RaidLevel;

import java.util.Arrays;

/**
 * Redundancy set descriptor (seed 004 [0069]): RSS id, physical member selection (drive
 * indices), RAID level, the PSEG number on each member, and a generation. Layout on disk in
 * {@link RsdDescriptor}.
 *
 * <p>Invariants: {@code drives.length == psegs.length == level.totalPsegs()}; all drives
 * distinct; {@code staleMask} bit i set means member i's contents are not current (skipped by a
 * write while its drive was away) and it must not be read until resynchronised. For RAID1,
 * members 2k and 2k+1 are the mirrored pair k; for RAID5, member {@code parityMember} holds
 * parity and data member d sits at member index {@code d < parityMember ? d : d + 1}.
 */
public final class Rsd {
    private final long rsdId;
    private final int rssId;
    private final RaidLevel level;
    private final long generation;
    private final int parityMember;
    private final int staleMask;
    private final int[] drives;
    private final int[] psegs;

    public Rsd(long rsdId, int rssId, RaidLevel level, long generation, int parityMember, int staleMask,
               int[] drives, int[] psegs) {
        if (drives.length != level.totalPsegs() || psegs.length != drives.length) {
            throw new IllegalArgumentException("RSD " + rsdId + ": " + level + " needs " + level.totalPsegs()
                    + " members, got " + drives.length);
        }
        this.rsdId = rsdId;
        this.rssId = rssId;
        this.level = level;
        this.generation = generation;
        this.parityMember = parityMember;
        this.staleMask = staleMask;
        this.drives = drives.clone();
        this.psegs = psegs.clone();
    }

    public long rsdId() {
        return rsdId;
    }

    public int rssId() {
        return rssId;
    }

    public RaidLevel level() {
        return level;
    }

    public long generation() {
        return generation;
    }

    /** Member index holding parity (RAID5 only; -1 otherwise). */
    public int parityMember() {
        return parityMember;
    }

    public int staleMask() {
        return staleMask;
    }

    public boolean isStale(int member) {
        return (staleMask & (1 << member)) != 0;
    }

    public int members() {
        return drives.length;
    }

    public int drive(int member) {
        return drives[member];
    }

    public int pseg(int member) {
        return psegs[member];
    }

    /** Packed physical address of member {@code member} (see {@link PsegAddress}). */
    public long address(int member) {
        return PsegAddress.encode(drives[member], psegs[member]);
    }

    public int[] drives() {
        return drives.clone();
    }

    public int[] psegs() {
        return psegs.clone();
    }

    /** Member index using this drive, or -1. */
    public int memberOnDrive(int drive) {
        for (int i = 0; i < drives.length; i++) {
            if (drives[i] == drive) {
                return i;
            }
        }
        return -1;
    }

    public Rsd withStale(int newStaleMask) {
        return new Rsd(rsdId, rssId, level, generation + 1, parityMember, newStaleMask, drives, psegs);
    }

    public Rsd withMember(int member, int drive, int pseg) {
        int[] d = drives.clone();
        int[] p = psegs.clone();
        d[member] = drive;
        p[member] = pseg;
        return new Rsd(rsdId, rssId, level, generation + 1, parityMember, staleMask & ~(1 << member), d, p);
    }

    /** Copy with a fresh generation and the given members replaced; their stale bits cleared. */
    public Rsd withMembers(int[] newDrives, int[] newPsegs, int clearStale) {
        return new Rsd(rsdId, rssId, level, generation + 1, parityMember, staleMask & ~clearStale, newDrives,
                newPsegs);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("RSD ").append(rsdId).append(' ').append(level).append(" rss ")
                .append(rssId).append(" gen ").append(generation).append(" [");
        for (int i = 0; i < drives.length; i++) {
            if (i > 0) {
                b.append(' ');
            }
            b.append(PsegAddress.toString(address(i)));
            if (i == parityMember) {
                b.append("(P)");
            }
            if (isStale(i)) {
                b.append("(stale)");
            }
        }
        return b.append(']').toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Rsd r && r.rsdId == rsdId && r.rssId == rssId && r.level == level
                && r.generation == generation && r.parityMember == parityMember && r.staleMask == staleMask
                && Arrays.equals(r.drives, drives) && Arrays.equals(r.psegs, psegs);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(rsdId) * 31 + Long.hashCode(generation);
    }
}
