package io.evasan.sharing;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.sharing.impl.SharingTreesImpl;
import io.evasan.sharing.spi.SegmentMaps;
import io.evasan.sharing.spi.impl.MemorySegmentMaps;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * One seeded randomized run against a model in which every disk is a full byte array (see
 * {@link RandomizedModelTest}); after every step every disk must read exactly its model.
 */
final class ModelRun {
    final long seed;
    final Random rnd;
    final boolean tight;
    final SegmentMaps maps;
    final MemorySegmentMaps mem;
    final int SEG;
    final int maxSegs;
    final SharingTreesImpl st;
    final Map<Long, byte[]> model = new HashMap<>();
    final ArrayDeque<String> log = new ArrayDeque<>();
    int step;
    int verifyEvery = 1;
    /** Snapclones taken while another one of the same tree was still copying. */
    int twoClonesCopying;

    ModelRun(long seed, SegmentMaps maps, boolean tight, int maxSegs) {
        this.seed = seed;
        this.rnd = new Random(seed);
        this.tight = tight;
        this.maps = maps;
        this.mem = maps instanceof MemorySegmentMaps m ? m : null;
        this.SEG = maps.segmentBytes();
        this.maxSegs = maxSegs;
        st = new SharingTreesImpl(maps, SharingConfig.defaults().withBackground(false)
                .withMaxDisksPerTree(10).withQuiesceThreshold(1 + rnd.nextInt(4)), SharingStats.standalone());
    }

    void note(String s) {
        log.addLast(step + ": " + s);
        if (log.size() > Integer.getInteger("evasan.log", 40)) {
            log.removeFirst();
        }
    }

    void run(int steps) {
        try {
            for (step = 0; step < steps; step++) {
                if (model.isEmpty() || (model.size() < 3 && rnd.nextInt(4) == 0)) {
                    newLun();
                } else {
                    oneStep();
                }
                dropInvalidated();
                if (step % verifyEvery == 0 || step == steps - 1) {
                    verifyAll();
                }
            }
        } catch (Throwable t) {
            throw new AssertionError("randomized model test failed: seed=" + seed + " step=" + step
                    + " (rerun with -Devasan.seed=" + seed + ")\nlast operations:\n" + String.join("\n", log), t);
        }
    }

    void newLun() {
        int segs = maxSegs <= 8 ? maxSegs : 8 + rnd.nextInt(maxSegs - 7);
        if (tight) {
            segs = 8;
        }
        long id = st.createLun(segs);
        model.put(id, new byte[segs * SEG]);
        note("createLun " + id + " segs=" + segs);
    }

    long anyDisk() {
        List<Long> ids = new ArrayList<>(model.keySet());
        ids.sort(null);
        return ids.get(rnd.nextInt(ids.size()));
    }

    void oneStep() {
        if (model.size() > 24 && rnd.nextInt(3) == 0) {
            delete();
            return;
        }
        int r = rnd.nextInt(100);
        if (r < 50) {
            if (rnd.nextInt(8) == 0) {
                unmap();
            } else {
                write();
            }
        } else if (r < 58) {
            snapshot();
        } else if (r < 63) {
            snapclone();
        } else if (r < 77) {
            bgcopy();
        } else if (r < 85) {
            delete();
        } else if (r < 90) {
            rollback();
        } else if (r < 93) {
            newLun();
        } else if (r < 95) {
            badInput();
        } else {
            describe();
        }
    }

    void write() {
        long d = anyDisk();
        byte[] m = model.get(d);
        int len;
        long off;
        if (tight) {
            int s = rnd.nextInt(m.length / SEG);
            int a = rnd.nextInt(SEG / 512);
            int b = 1 + rnd.nextInt(SEG / 512 - a);
            off = (long) s * SEG + a * 512L;
            len = b * 512;
        } else if (rnd.nextInt(4) == 0) {
            int s = rnd.nextInt(m.length / SEG);
            int n = 1 + rnd.nextInt(Math.min(3, m.length / SEG - s));
            off = (long) s * SEG;
            len = n * SEG;
        } else {
            int sectors = m.length / 512;
            int a = rnd.nextInt(sectors);
            int b = 1 + rnd.nextInt(Math.min(12, sectors - a));
            off = a * 512L;
            len = b * 512;
        }
        byte[] data = new byte[len];
        rnd.nextBytes(data);
        int via = rnd.nextInt(3);   // byte[], heap ByteBuffer (array offset), direct ByteBuffer: one path
        note("write disk=" + d + " off=" + off + " len=" + len + " via=" + (via == 0 ? "array" : via == 1 ? "heap" : "direct"));
        try {
            if (via == 0) {
                st.write(d, off, data, 0, len);
            } else {
                java.nio.ByteBuffer b = (via == 1 ? java.nio.ByteBuffer.allocate(len + 24) : java.nio.ByteBuffer.allocateDirect(len + 24))
                        .position(8).slice();
                b.position(5).limit(5 + len);
                b.duplicate().put(data);
                st.write(d, off, b);
                assertEquals(5 + len, b.position(), "a ByteBuffer write advances the position by its length");
            }
            System.arraycopy(data, 0, m, (int) off, len);
        } catch (StorageException ex) {
            if (!tight) {
                throw ex;
            }
            if (ex.code() == ErrorCode.SNAPSHOT_INVALIDATED) {
                note(" -> invalidated " + d);
            } else if (ex.code() == ErrorCode.SPACE_ALLOCATION_FAILED) {
                note(" -> no space for LUN " + d);
                assertEquals(DiskKind.LUN, st.kind(d));
            } else {
                throw ex;
            }
        }
    }

    void unmap() {
        long d = anyDisk();
        byte[] m = model.get(d);
        int sectors = m.length / 512;
        int a = rnd.nextInt(sectors);
        int b = 1 + rnd.nextInt(Math.min(3 * SEG / 512, sectors - a));
        if (rnd.nextBoolean()) {
            a = a / (SEG / 512) * (SEG / 512);
            b = Math.min(sectors - a, (1 + rnd.nextInt(2)) * (SEG / 512));
        }
        long off = a * 512L;
        int len = b * 512;
        note("unmap disk=" + d + " off=" + off + " len=" + len);
        try {
            st.unmap(d, off, len);
            java.util.Arrays.fill(m, (int) off, (int) off + len, (byte) 0);
        } catch (StorageException ex) {
            if (!tight) {
                throw ex;
            }
            if (ex.code() == ErrorCode.SPACE_ALLOCATION_FAILED) {
                // partial segments write zeros; whole segments may have been unmapped before the failing one
                byte[] got = new byte[len];
                st.read(d, off, got, 0, len);
                System.arraycopy(got, 0, m, (int) off, len);
                note(" -> no space, partially done");
            } else if (ex.code() != ErrorCode.SNAPSHOT_INVALIDATED) {
                throw ex;
            }
        }
        if (off % SEG == 0 && len >= SEG && st.isValid(d)) {
            assertTrue(!st.mapped(d, (int) (off / SEG)), "a whole unmapped segment keeps no RSEG");
        }
    }

    void snapshot() {
        long d = anyDisk();
        AllocationPolicy pol = rnd.nextInt(3) == 0 ? AllocationPolicy.RESERVE_FULL : AllocationPolicy.ON_DEMAND;
        int before = st.chain(d).size();
        note("snapshot of " + d + " " + pol);
        try {
            long p = st.snapshot(d, pol);
            model.put(p, model.get(d).clone());
            note(" -> " + p);
        } catch (StorageException ex) {
            if (ex.code() == ErrorCode.INVALID_STATE) {
                assertEquals(10, before, "only a full tree refuses a snapshot");
            } else if (ex.code() != ErrorCode.SPACE_ALLOCATION_FAILED) {
                throw ex;
            }
            assertEquals(before, st.chain(d).size(), "refused snapshot changed nothing");
        }
    }

    boolean treeHasCopyingClone(long d) {
        for (long x : st.chain(d)) {
            if (st.kind(x) == DiskKind.SNAPCLONE) {
                return true;
            }
        }
        return false;
    }

    void snapclone() {
        long d = anyDisk();
        SnapcloneMode mode = rnd.nextBoolean() ? SnapcloneMode.EAGER : SnapcloneMode.SCALING;
        boolean busy = treeHasCopyingClone(d);
        int before = st.chain(d).size();
        note("snapclone of " + d + " " + mode + (busy ? " (another copying)" : ""));
        try {
            long c = st.snapclone(d, AllocationPolicy.ON_DEMAND, mode);
            if (busy) {
                twoClonesCopying++;   // several snapclones copy at once in one tree
            }
            model.put(c, model.get(d).clone());
            note(" -> " + c);
        } catch (StorageException ex) {
            if (ex.code() != ErrorCode.INVALID_STATE) {
                throw ex;
            }
            assertTrue(before == 10, "refused: " + ex.getMessage());
            assertEquals(before, st.chain(d).size());
        }
    }

    void bgcopy() {
        List<Long> clones = new ArrayList<>();
        for (long id : model.keySet()) {
            if (st.kind(id) == DiskKind.SNAPCLONE) {
                clones.add(id);
            }
        }
        if (clones.isEmpty()) {
            write();
            return;
        }
        clones.sort(null);
        long c = clones.get(rnd.nextInt(clones.size()));
        int n = 1 + rnd.nextInt(6);
        note("bgcopyStep " + c + " n=" + n);
        if (rnd.nextInt(10) == 0) {
            st.pauseBgcopy(c);
            assertEquals(0, st.bgcopyStep(c, n));
            assertEquals(BgCopyState.PAUSED, st.bgcopyProgress(c).state());
            st.resumeBgcopy(c);
        }
        st.bgcopyStep(c, n);
        BgCopyProgress p = st.bgcopyProgress(c);
        assertTrue(p.done() <= p.total());
        if (p.state() == BgCopyState.DONE) {
            assertEquals(List.of(c), st.chain(c), "a finished snapclone is alone in its tree");
            note(" -> detached " + c);
        }
    }

    void delete() {
        long d = anyDisk();
        List<Long> chain = st.chain(d);
        DeleteOption opt = DeleteOption.values()[rnd.nextInt(3)];
        note("delete " + d + " " + opt + " chain=" + chain);
        if (st.kind(d) == DiskKind.LUN && chain.size() > 1) {
            if (opt == DeleteOption.REFUSE_IF_SNAPSHOTS) {
                StorageException ex = assertThrows(StorageException.class, () -> st.delete(d, opt));
                assertEquals(ErrorCode.INVALID_STATE, ex.code());
                assertEquals(chain, st.chain(d));
                return;
            }
            st.delete(d, opt);
            if (opt == DeleteOption.DELETE_SNAPSHOTS) {
                for (long x : chain) {
                    model.remove(x);
                }
            } else {
                model.remove(d);
            }
        } else {
            st.delete(d, opt);
            model.remove(d);
        }
        assertThrows(StorageException.class, () -> st.read(d, 0, new byte[512], 0, 512));
    }

    void rollback() {
        long d = anyDisk();
        List<Long> chain = st.chain(d);
        int pos = chain.indexOf(d);
        if (pos == 0) {
            StorageException ex = assertThrows(StorageException.class, () -> st.rollback(d, anyOther(d)));
            assertTrue(ex.code() == ErrorCode.INVALID_ARGUMENT, ex.toString());
            return;
        }
        long s = chain.get(rnd.nextInt(pos));
        note("rollback " + d + " to " + s);
        if (st.kind(d) == DiskKind.SNAPCLONE) {
            assertEquals(ErrorCode.INVALID_STATE, assertThrows(StorageException.class, () -> st.rollback(d, s)).code());
            return;
        }
        try {
            st.rollback(d, s);
            model.put(d, model.get(s).clone());
        } catch (StorageException ex) {
            if (!(tight && ex.code() == ErrorCode.SPACE_ALLOCATION_FAILED)) {
                throw ex;
            }
        }
    }

    long anyOther(long d) {
        for (long x : model.keySet()) {
            if (x != d) {
                return x;
            }
        }
        return d;
    }

    void badInput() {
        long d = anyDisk();
        note("bad input on " + d);
        assertEquals(ErrorCode.NOT_FOUND, assertThrows(StorageException.class,
                () -> st.snapshot(987654321L, AllocationPolicy.ON_DEMAND)).code());
        assertEquals(ErrorCode.UNALIGNED_IO, assertThrows(StorageException.class,
                () -> st.write(d, 100, new byte[512], 0, 512)).code());
        assertEquals(ErrorCode.OUT_OF_RANGE, assertThrows(StorageException.class,
                () -> st.read(d, model.get(d).length, new byte[512], 0, 512)).code());
        for (long o : model.keySet()) {
            if (!st.chain(o).contains(d)) {
                List<Long> before = st.chain(d);
                assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(StorageException.class,
                        () -> st.rollback(d, o)).code());
                assertEquals(before, st.chain(d));
                break;
            }
        }
    }

    void describe() {
        long d = anyDisk();
        TreeDescription t = st.describe(d);
        assertEquals(st.chain(d).size(), t.disks().size());
        for (DiskDescription dd : t.disks()) {
            assertEquals(dd.segments(), dd.sharedWithSuccessor() + dd.privateSegments() + dd.zeroSegments());
        }
    }

    void dropInvalidated() {
        for (long id : new ArrayList<>(model.keySet())) {
            if (!st.isValid(id)) {
                assertTrue(tight, "invalidation with plenty of space");
                model.remove(id);
                StorageException ex = assertThrows(StorageException.class, () -> st.read(id, 0, new byte[512], 0, 512));
                assertEquals(ErrorCode.SNAPSHOT_INVALIDATED, ex.code());
                note(" invalidated " + id);
                if (rnd.nextBoolean()) {
                    st.delete(id, DeleteOption.REFUSE_IF_SNAPSHOTS);
                }
            }
        }
    }

    void verifyAll() {
        for (Map.Entry<Long, byte[]> en : model.entrySet()) {
            byte[] want = en.getValue();
            byte[] got = new byte[want.length];
            st.read(en.getKey(), 0, got, 0, got.length);
            if (!Arrays.equals(want, got)) {
                int at = Arrays.mismatch(want, got);
                fail("disk " + en.getKey() + " (" + st.kind(en.getKey()) + ", chain " + st.chain(en.getKey())
                        + ") differs from its model at byte " + at + " (segment " + (at / SEG) + ")");
            }
        }
        verifyStoredBits();   // both stores: the in-memory one and the real mapping (MappingIntegrationTest)
        if (!tight && mem != null && step % 16 == 0) {
            long held = 0;
            for (long id : model.keySet()) {
                for (DiskDescription dd : st.describe(id).disks()) {
                    if (dd.id() == id) {
                        held += dd.privateSegments();
                    }
                }
            }
            assertEquals(mem.usedSegments(), held, "allocated RSEGs == held segments (no leak)");
        }
    }

    /**
     * The stored share bits are those of seed 004 (Figs. 10-15): of every entry with a pointer, the oldest
     * disk's Sp and the newest disk's Ss are clear, and a disk whose predecessor is not a copying snapclone
     * has {@code Sp == P.Ss} (after a copying snapclone they may be asymmetric, Fig. 13e).
     */
    void verifyStoredBits() {
        java.util.Set<Long> seen = new java.util.HashSet<>();
        for (long id : model.keySet()) {
            if (!seen.add(id) || !st.isValid(id)) {
                continue;
            }
            List<Long> chain = st.chain(id);
            seen.addAll(chain);
            for (int i = 0; i < chain.size(); i++) {
                long x = chain.get(i);
                for (int s = 0; s < maps.segments(x); s++) {
                    long e = maps.entry(x, s);
                    if (io.evasan.sharing.sharebits.ShareEntry.pointer(e) == 0) {
                        continue;
                    }
                    boolean sp = io.evasan.sharing.sharebits.ShareEntry.sp(e);
                    String where = "disk " + x + " segment " + s + " of chain " + chain + ": "
                            + io.evasan.sharing.sharebits.ShareEntry.toString(e);
                    if (i == 0) {
                        assertTrue(!sp, "oldest disk with Sp set: " + where);
                    } else if (st.kind(chain.get(i - 1)) != DiskKind.SNAPCLONE) {
                        boolean pss = io.evasan.sharing.sharebits.ShareEntry.ss(maps.entry(chain.get(i - 1), s));
                        assertEquals(pss, sp, "Sp != predecessor's Ss: " + where);
                    }
                    if (i == chain.size() - 1) {
                        assertTrue(!io.evasan.sharing.sharebits.ShareEntry.ss(e), "newest disk with Ss set: " + where);
                    }
                }
            }
        }
    }
}
