package io.evasan.mld.lease;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mld.MldBlockDescriptor;
import io.evasan.raid.drive.QuorumArea;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.logging.Logger;

/**
 * The lease region ({@link LeaseDescriptor}) on a fixed list of quorum areas: reads every
 * controller's newest block and writes one controller's block, each on a majority of the areas.
 *
 * <p>Invariants: the list of areas never changes (both controllers must open the store on the
 * same list, so that a majority written by one intersects a majority read by the other); a
 * {@link #write} returns only when the block is forced on a majority of them, and a {@link #read}
 * returns only when a majority answered. An area whose MLD slot-1 block reaches into the lease
 * region (an MLD written before the reserve existed, with a catalogue of nearly 4 MiB) is never
 * written: it counts as a failed copy.
 */
public final class LeaseStore {
    private static final Logger LOG = Logger.getLogger(LeaseStore.class.getName());

    private final List<QuorumArea> areas;
    private final boolean[] refused;

    private LeaseStore(List<QuorumArea> areas) {
        this.areas = List.copyOf(areas);
        this.refused = new boolean[areas.size()];
    }

    /** The lease on {@code areas} (in the same order on every controller). */
    public static LeaseStore open(List<QuorumArea> areas) {
        if (areas.isEmpty()) {
            throw new StorageException(ErrorCode.INSUFFICIENT_DRIVES, "no quorum area to hold the lease");
        }
        LeaseStore s = new LeaseStore(areas);
        for (int i = 0; i < s.areas.size(); i++) {
            s.checkMldClear(i);
        }
        return s;
    }

    /** Copies a read or write must reach: more than half of the areas. */
    public int majority() {
        return areas.size() / 2 + 1;
    }

    public int areas() {
        return areas.size();
    }

    private void checkMldClear(int i) {
        QuorumArea a = areas.get(i);
        long size = a.sizeBytes();
        if (MldBlockDescriptor.slotSize(size) < MldBlockDescriptor.SEAL_LENGTH + LeaseDescriptor.REGION_LENGTH
                + MldBlockDescriptor.HEADER_LENGTH) {
            refuse(i, "quorum area of " + size + " bytes has no room for the lease region");
            return;
        }
        if (!a.isAvailable()) {
            return; // checked again when it is written
        }
        try {
            ByteBuffer head = ByteBuffer.allocate(512);
            long slot1 = MldBlockDescriptor.slotOffset(size, 1);
            a.read(slot1, head);
            head.flip();
            if (MldBlockDescriptor.headerValid(head, MldBlockDescriptor.slotSize(size))) {
                long end = slot1 + MldBlockDescriptor.blockLength(MldBlockDescriptor.payloadLength(head));
                if (end > LeaseDescriptor.regionOffset(size)) {
                    refuse(i, "its MLD slot-1 block (generation " + MldBlockDescriptor.generation(head) + ") ends at "
                            + end + ", inside the lease region at " + LeaseDescriptor.regionOffset(size));
                }
            }
        } catch (StorageException e) {
            LOG.warning("lease: cannot check the MLD block on drive " + a.driveId() + ": " + e);
        }
    }

    private void refuse(int i, String why) {
        refused[i] = true;
        LOG.warning("lease: quorum area of drive " + areas.get(i).driveId() + " is not used for the lease: " + why);
    }

    /**
     * Writes {@code r} into its writer's sector ({@code 2 * writer + (counter & 1)}) of every area
     * and forces each.
     *
     * @return the number of areas on which the block is durable (at least {@link #majority()})
     * @throws StorageException {@code WRITE_FAULT} when fewer than a majority took it (the block may
     *                          still be on some: a claim or renewal must then be treated as unknown)
     */
    public int write(LeaseRecord r) {
        ByteBuffer block = LeaseDescriptor.encode(r);
        boolean[] written = new boolean[areas.size()];
        StorageException last = null;
        for (int i = 0; i < areas.size(); i++) {
            QuorumArea a = areas.get(i);
            if (refused[i] || !a.isAvailable()) {
                continue;
            }
            try {
                a.write(LeaseDescriptor.regionOffset(a.sizeBytes()) + LeaseDescriptor.blockOffset(r.writer(), r.counter()),
                        block.duplicate());
                written[i] = true;
            } catch (StorageException e) {
                last = e;
            }
        }
        int ok = 0;
        for (int i = 0; i < areas.size(); i++) {
            if (!written[i]) {
                continue;
            }
            try {
                areas.get(i).force();
                ok++;
            } catch (StorageException e) {
                last = e;
            }
        }
        if (ok < majority()) {
            throw new StorageException(ErrorCode.WRITE_FAULT, "lease block " + r + " durable on " + ok + " of "
                    + areas.size() + " quorum areas, a majority is " + majority(), last);
        }
        return ok;
    }

    /**
     * Reads the lease region of every available area (one 4 KiB read each) and keeps, per
     * controller, the valid block with the highest counter.
     *
     * @throws StorageException {@code UNRECOVERABLE_READ} when fewer than a majority could be read
     */
    public View read() {
        LeaseRecord[] latest = new LeaseRecord[LeaseDescriptor.MAX_CONTROLLERS];
        List<LeaseRecord[]> perArea = new ArrayList<>();
        StorageException last = null;
        for (int i = 0; i < areas.size(); i++) {
            QuorumArea a = areas.get(i);
            if (refused[i] || !a.isAvailable()) {
                continue;
            }
            ByteBuffer region = ByteBuffer.allocate(LeaseDescriptor.REGION_LENGTH);
            try {
                a.read(LeaseDescriptor.regionOffset(a.sizeBytes()), region);
            } catch (StorageException e) {
                last = e;
                continue;
            }
            LeaseRecord[] here = new LeaseRecord[LeaseDescriptor.MAX_CONTROLLERS];
            for (int c = 0; c < LeaseDescriptor.MAX_CONTROLLERS; c++) {
                for (int parity = 0; parity < 2; parity++) {
                    ByteBuffer block = region.duplicate();
                    int off = LeaseDescriptor.blockOffset(c, parity);
                    block.position(off).limit(off + LeaseDescriptor.BLOCK_LENGTH);
                    LeaseRecord r = LeaseDescriptor.decode(block.slice(), c, parity);
                    if (r != null && (here[c] == null || r.counter() > here[c].counter())) {
                        here[c] = r;
                    }
                }
                if (here[c] != null && (latest[c] == null || here[c].counter() > latest[c].counter())) {
                    latest[c] = here[c];
                }
            }
            perArea.add(here);
        }
        if (perArea.size() < majority()) {
            throw new StorageException(ErrorCode.UNRECOVERABLE_READ, "lease region readable on " + perArea.size()
                    + " of " + areas.size() + " quorum areas, a majority is " + majority(), last);
        }
        int[] copies = new int[LeaseDescriptor.MAX_CONTROLLERS];
        for (LeaseRecord[] here : perArea) {
            for (int c = 0; c < copies.length; c++) {
                if (latest[c] != null && latest[c].equals(here[c])) {
                    copies[c]++;
                }
            }
        }
        return new View(latest, copies, perArea.size());
    }

    /**
     * What one {@link #read} saw: per controller its newest valid block (or none) and on how many
     * of the areas read that exact block is the newest.
     */
    public static final class View {
        private final LeaseRecord[] latest;
        private final int[] copies;
        private final int readable;

        View(LeaseRecord[] latest, int[] copies, int readable) {
            this.latest = latest.clone();
            this.copies = copies.clone();
            this.readable = readable;
        }

        /** Newest valid block of {@code controller}, or null when none is readable. */
        public LeaseRecord of(int controller) {
            return latest[controller];
        }

        /** Number of areas read whose newest block of {@code controller} is {@link #of(int)}. */
        public int copiesOf(int controller) {
            return copies[controller];
        }

        public int readable() {
            return readable;
        }

        /** Highest generation of any block, 0 when there is none. */
        public long maxGeneration() {
            long g = 0;
            for (LeaseRecord r : latest) {
                if (r != null) {
                    g = Math.max(g, r.generation());
                }
            }
            return g;
        }

        /** The claims of the highest generation (more than one only after two simultaneous claims). */
        public List<LeaseRecord> currentClaims() {
            long g = maxGeneration();
            List<LeaseRecord> out = new ArrayList<>();
            for (LeaseRecord r : latest) {
                if (r != null && r.generation() == g && r.claims()) {
                    out.add(r);
                }
            }
            return out;
        }

        /** True when no block of the highest generation claims it: never held, or released. */
        public boolean free() {
            return currentClaims().isEmpty();
        }

        /** Same newest block of every controller (what "the lease is unchanged" means). */
        public boolean sameBlocks(View o) {
            return Arrays.equals(latest, o.latest);
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("lease view (" + readable + " areas):");
            for (LeaseRecord r : latest) {
                if (r != null) {
                    sb.append(' ').append(r);
                }
            }
            return sb.toString();
        }
    }
}
