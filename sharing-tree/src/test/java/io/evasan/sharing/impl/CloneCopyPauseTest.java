package io.evasan.sharing.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.sharing.AllocationPolicy;
import io.evasan.sharing.BgCopyProgress;
import io.evasan.sharing.BgCopyState;
import io.evasan.sharing.DiskKind;
import io.evasan.sharing.SharingConfig;
import io.evasan.sharing.SharingStats;
import io.evasan.sharing.SnapcloneMode;
import io.evasan.sharing.spi.impl.MemorySegmentMaps;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A BGCOPY pause racing a step of the copy ({@link CloneCopy}): a pause that returned keeps the snapclone in its
 * tree, paused, until resumed (also across a reopen); a pause that comes once the leave has begun is refused. The
 * step is held at a chosen point by holding one of its locks in the test thread, and the pause is issued once the
 * step waits there ({@link ReentrantReadWriteLock#hasQueuedThread}), so the interleaving is fixed.
 */
class CloneCopyPauseTest {
    private static final int SEG = 4096;
    private static final int SEGMENTS = 4;

    private static SharingTreesImpl engine(MemorySegmentMaps maps) {
        return new SharingTreesImpl(maps, SharingConfig.defaults().withBackground(false), SharingStats.standalone());
    }

    private static byte[] filled(int len, int v) {
        byte[] b = new byte[len];
        java.util.Arrays.fill(b, (byte) v);
        return b;
    }

    /** A step of the whole copy on its own thread; its result or failure lands in {@code out}. */
    private static Thread step(SharingTreesImpl st, long clone, AtomicReference<Object> out) {
        Thread t = new Thread(() -> {
            try {
                out.set(st.bgcopyStep(clone, 100));
            } catch (Throwable e) {
                out.set(e);
            }
        }, "test-bgcopy-step");
        t.start();
        return t;
    }

    /** Returns once {@code step} waits for {@code lock} (fails if the step ended instead). */
    private static void awaitQueued(ReentrantReadWriteLock lock, Thread step, AtomicReference<Object> out) {
        while (!lock.hasQueuedThread(step)) {
            assertTrue(step.isAlive(), () -> "the step ended before it waited for the lock: " + out.get());
            Thread.onSpinWait();
        }
    }

    @Test
    void shouldKeepASnapclonePausedDuringItsLastSegmentInItsTreeAcrossReopen() throws Exception {
        MemorySegmentMaps maps = new MemorySegmentMaps(SEG, 1000);
        long lun;
        long clone;
        try (SharingTreesImpl st = engine(maps)) {
            lun = st.createLun(SEGMENTS);
            st.write(lun, 0, filled(SEGMENTS * SEG, 6), 0, SEGMENTS * SEG);
            clone = st.snapclone(lun, AllocationPolicy.ON_DEMAND, SnapcloneMode.SCALING);
            // the step copies segments 0..2, then waits for the stripe of the last segment
            ReentrantReadWriteLock last = st.disk(clone).tree.stripe(SEGMENTS - 1);
            AtomicReference<Object> out = new AtomicReference<>();
            Thread stepper;
            last.writeLock().lock();
            try {
                stepper = step(st, clone, out);
                awaitQueued(last, stepper, out);
                st.pauseBgcopy(clone);
            } finally {
                last.writeLock().unlock();
            }
            stepper.join();
            assertEquals(SEGMENTS, out.get(), "the step copied every segment (the last one was under way at the pause)");
            assertEquals(DiskKind.SNAPCLONE, st.kind(clone), "a paused snapclone left its tree");
            BgCopyProgress p = st.bgcopyProgress(clone);
            assertEquals(BgCopyState.PAUSED, p.state());
            assertEquals(SEGMENTS, p.done());
            assertEquals(0, st.bgcopyStep(clone, 100), "a paused copy took a step");
            assertEquals(DiskKind.SNAPCLONE, st.kind(clone));
        }
        try (SharingTreesImpl st = engine(maps)) {   // the catalog as a restart finds it
            assertEquals(List.of(clone, lun), st.chain(lun));
            assertEquals(BgCopyState.PAUSED, st.bgcopyProgress(clone).state());
            assertEquals(0, st.bgcopyStep(clone, 100));
            assertEquals(DiskKind.SNAPCLONE, st.kind(clone));
            st.resumeBgcopy(clone);
            st.bgcopyStep(clone, 100);
            assertEquals(BgCopyState.DONE, st.bgcopyProgress(clone).state());
            assertEquals(DiskKind.LUN, st.kind(clone));
            assertEquals(List.of(lun), st.chain(lun));
            byte[] got = new byte[SEGMENTS * SEG];
            st.read(clone, 0, got, 0, got.length);
            assertArrayEquals(filled(SEGMENTS * SEG, 6), got);
        }
    }

    @Test
    void shouldRefuseToPauseASnapcloneLeavingItsTreeAndChangeNothing() throws Exception {
        MemorySegmentMaps maps = new MemorySegmentMaps(SEG, 1000);
        try (SharingTreesImpl st = engine(maps)) {
            long lun = st.createLun(SEGMENTS);
            st.write(lun, 0, filled(SEGMENTS * SEG, 8), 0, SEGMENTS * SEG);
            long clone = st.snapclone(lun, AllocationPolicy.ON_DEMAND, SnapcloneMode.SCALING);
            // the copy completes, then the leave waits for the tree's structure lock exclusively
            ReentrantReadWriteLock structure = st.disk(clone).tree.structure;
            AtomicReference<Object> out = new AtomicReference<>();
            Thread stepper;
            Lock shared = structure.readLock();
            shared.lock();
            try {
                stepper = step(st, clone, out);
                awaitQueued(structure, stepper, out);
                StorageException e = assertThrows(StorageException.class, () -> st.pauseBgcopy(clone));
                assertEquals(ErrorCode.INVALID_STATE, e.code());
                assertTrue(e.getMessage().contains("leaving its tree"), e.getMessage());
                assertFalse(st.disk(clone).paused, "the refused pause changed the clone");
            } finally {
                shared.unlock();
            }
            stepper.join();
            assertEquals(SEGMENTS, out.get());
            assertEquals(DiskKind.LUN, st.kind(clone));
            assertEquals(BgCopyState.DONE, st.bgcopyProgress(clone).state());
            StorageException after = assertThrows(StorageException.class, () -> st.pauseBgcopy(clone));
            assertEquals(ErrorCode.INVALID_STATE, after.code());
            assertEquals(List.of(lun), st.chain(lun), "the clone left the LUN's tree");
        }
    }
}
