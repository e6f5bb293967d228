package io.evasan.scsi.target;

import io.evasan.scsi.Harness;
import io.evasan.scsi.Harness.Result;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.ScsiTask;
import io.evasan.scsi.TmfFunction;
import io.evasan.scsi.TmfResponse;
import io.evasan.scsi.cdb.BlockCdbDescriptor;
import io.evasan.scsi.cdb.OpCodes;
import io.evasan.scsi.lu.impl.PresentationTable;
import io.evasan.scsi.sense.SenseCodes;
import io.evasan.scsi.target.impl.DiskTarget;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Execution model: non-blocking submit, task attributes, task management, COMPARE AND WRITE atomicity. */
class TaskSetTest {
    static final int BS = 512;

    static final class Rig implements AutoCloseable {
        final PresentationTable table = new PresentationTable();
        final CountingLu lu = new CountingLu("c", 4096);
        final DiskTarget target;

        Rig(int workers, int queue) {
            table.present(PresentationTable.ALL, 0, lu);
            target = new DiskTarget(table, new ScsiStats(), workers, queue);
        }

        ItNexus open(String name) {
            ItNexus n = target.openNexus(name, name + ",i,0x01", "iqn.t,t,0x1", 1);
            try {
                submit(n, new byte[6], null, 0, ScsiTask.Attribute.SIMPLE, 0).get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            return n;
        }

        CompletableFuture<ScsiTask> submit(ItNexus n, byte[] cdb, byte[] out, long edtl, ScsiTask.Attribute attr, long tag) {
            ScsiTask t = new ScsiTask();
            t.reset(n, 0, tag, attr, 16, edtl, out == null && edtl > 0, out != null);
            System.arraycopy(cdb, 0, t.cdb(), 0, cdb.length);
            if (out != null) {
                t.dataOut(ByteBuffer.wrap(out));
            }
            t.dataIn(ByteBuffer.allocate((int) edtl));
            CompletableFuture<ScsiTask> f = new CompletableFuture<>();
            t.callback(f::complete);
            target.submit(t);
            return f;
        }

        @Override
        public void close() {
            lu.release();
            target.close();
        }
    }

    static byte[] rw(int op, long lba, int n) {
        byte[] c = new byte[16];
        return Arrays.copyOf(c, BlockCdbDescriptor.encode(c, op, lba, n, 0));
    }

    static ScsiTask get(CompletableFuture<ScsiTask> f) throws Exception {
        return f.get(30, TimeUnit.SECONDS);
    }

    @Test
    void shouldNotBlockSubmitterAndRespectOrderedTask() throws Exception {
        try (Rig r = new Rig(4, 64)) {
            ItNexus n = r.open("iqn.t:a");
            r.lu.holdAt(0);
            CompletableFuture<ScsiTask> w0 = r.submit(n, rw(OpCodes.WRITE_10, 0, 1), Harness.pattern(BS, 1), BS, ScsiTask.Attribute.SIMPLE, 1);
            assertTrue(r.lu.atGate.await(10, TimeUnit.SECONDS));
            // submit() returned although the backend is blocked
            CompletableFuture<ScsiTask> w1 = r.submit(n, rw(OpCodes.WRITE_10, 1, 1), Harness.pattern(BS, 2), BS, ScsiTask.Attribute.ORDERED, 2);
            CompletableFuture<ScsiTask> r1 = r.submit(n, rw(OpCodes.READ_10, 1, 1), null, BS, ScsiTask.Attribute.SIMPLE, 3);
            CompletableFuture<ScsiTask> hq = r.submit(n, new byte[6], null, 0, ScsiTask.Attribute.HEAD_OF_QUEUE, 4);
            assertEquals(ScsiStatus.GOOD, get(hq).status());                          // head of queue bypasses
            Thread.sleep(100);
            assertFalse(w1.isDone());
            assertFalse(r1.isDone());
            assertEquals(List.of("W0"), new ArrayList<>(r.lu.log));                    // ORDERED task not started
            r.lu.release();
            assertEquals(ScsiStatus.GOOD, get(w0).status());
            assertEquals(ScsiStatus.GOOD, get(w1).status());
            ScsiTask read = get(r1);
            assertEquals(ScsiStatus.GOOD, read.status());
            byte[] d = new byte[BS];
            read.dataIn().get(d);
            assertArrayEquals(Harness.pattern(BS, 2), d);                             // read saw the ordered write
            assertEquals(List.of("W0", "W1", "R1"), new ArrayList<>(r.lu.log));
        }
    }

    @Test
    void shouldAbortQueuedAndRunningTasks() throws Exception {
        try (Rig r = new Rig(4, 64)) {
            ItNexus n = r.open("iqn.t:a");
            r.lu.holdAt(7);
            CompletableFuture<ScsiTask> ord = r.submit(n, rw(OpCodes.WRITE_10, 7, 1), new byte[BS], BS, ScsiTask.Attribute.ORDERED, 10);
            assertTrue(r.lu.atGate.await(10, TimeUnit.SECONDS));
            CompletableFuture<ScsiTask> queued = r.submit(n, rw(OpCodes.READ_10, 9, 1), null, BS, ScsiTask.Attribute.SIMPLE, 11);
            assertEquals(TmfResponse.TASK_DOES_NOT_EXIST, r.target.taskManagement(n, TmfFunction.ABORT_TASK, 0, 99));
            assertEquals(TmfResponse.FUNCTION_SUCCEEDED, r.target.taskManagement(n, TmfFunction.QUERY_TASK, 0, 11));
            assertEquals(TmfResponse.FUNCTION_COMPLETE, r.target.taskManagement(n, TmfFunction.ABORT_TASK, 0, 11));
            assertEquals(ScsiStatus.TASK_ABORTED, get(queued).status());
            assertFalse(r.lu.log.contains("R9"));
            CompletableFuture<TmfResponse> abort = r.target.taskManagementAsync(n, TmfFunction.ABORT_TASK, 0, 10);
            Thread.sleep(50);
            r.lu.release();
            assertEquals(TmfResponse.FUNCTION_COMPLETE, abort.get(30, TimeUnit.SECONDS));
            assertEquals(ScsiStatus.TASK_ABORTED, get(ord).status());
            assertEquals(TmfResponse.LUN_DOES_NOT_EXIST, r.target.taskManagement(n, TmfFunction.ABORT_TASK_SET, 5, 0));
        }
    }

    @Test
    void shouldRaiseUnitAttentionOnResets() throws Exception {
        try (Rig r = new Rig(2, 16)) {
            ItNexus a = r.open("iqn.t:a");
            ItNexus b = r.open("iqn.t:b");
            assertEquals(TmfResponse.FUNCTION_COMPLETE, r.target.taskManagement(a, TmfFunction.TARGET_WARM_RESET, 0, 0));
            for (ItNexus n : new ItNexus[]{a, b}) {
                ScsiTask t = get(r.submit(n, new byte[6], null, 0, ScsiTask.Attribute.SIMPLE, 1));
                assertEquals(ScsiStatus.CHECK_CONDITION, t.status());
                assertEquals(SenseCodes.BUS_DEVICE_RESET_OCCURRED, io.evasan.scsi.sense.SenseDataDescriptor.code(t.sense()));
                assertEquals(ScsiStatus.GOOD, get(r.submit(n, new byte[6], null, 0, ScsiTask.Attribute.SIMPLE, 2)).status());
            }
        }
    }

    @Test
    void shouldLetResetSupersedeOlderUnitAttentions() throws Exception {
        try (Rig r = new Rig(2, 16)) {
            ItNexus a = r.open("iqn.t:a");
            r.target.capacityChanged(r.lu);
            r.target.unitAttention(r.lu, SenseCodes.THIN_PROVISIONING_SOFT_THRESHOLD_REACHED);
            r.target.taskManagement(a, TmfFunction.LOGICAL_UNIT_RESET, 0, 0);
            ScsiTask t = get(r.submit(a, new byte[6], null, 0, ScsiTask.Attribute.SIMPLE, 1));
            assertEquals(SenseCodes.BUS_DEVICE_RESET_OCCURRED, io.evasan.scsi.sense.SenseDataDescriptor.code(t.sense()));
            assertEquals(ScsiStatus.GOOD, get(r.submit(a, new byte[6], null, 0, ScsiTask.Attribute.SIMPLE, 2)).status());
            r.target.capacityChanged(r.lu);
            r.target.unitAttention(r.lu, SenseCodes.THIN_PROVISIONING_SOFT_THRESHOLD_REACHED);
            ScsiTask c1 = get(r.submit(a, new byte[6], null, 0, ScsiTask.Attribute.SIMPLE, 3));
            assertEquals(SenseCodes.CAPACITY_DATA_HAS_CHANGED, io.evasan.scsi.sense.SenseDataDescriptor.code(c1.sense()));
            ScsiTask c2 = get(r.submit(a, new byte[6], null, 0, ScsiTask.Attribute.SIMPLE, 4));
            assertEquals(SenseCodes.THIN_PROVISIONING_SOFT_THRESHOLD_REACHED, io.evasan.scsi.sense.SenseDataDescriptor.code(c2.sense()));
        }
    }

    @Test
    void shouldAbortTasksOfClosedNexus() throws Exception {
        try (Rig r = new Rig(2, 16)) {
            ItNexus a = r.open("iqn.t:a");
            r.target.closeNexus(a);
            assertEquals(ScsiStatus.TASK_ABORTED, get(r.submit(a, new byte[6], null, 0, ScsiTask.Attribute.SIMPLE, 1)).status());
        }
    }

    @Test
    void shouldAnswerTaskSetFullWhenWorkerQueueIsFull() throws Exception {
        try (Rig r = new Rig(1, 1)) {
            ItNexus a = r.open("iqn.t:a");
            r.lu.holdAt(0);
            CompletableFuture<ScsiTask> w0 = r.submit(a, rw(OpCodes.WRITE_10, 0, 1), new byte[BS], BS, ScsiTask.Attribute.SIMPLE, 1);
            assertTrue(r.lu.atGate.await(10, TimeUnit.SECONDS));
            CompletableFuture<ScsiTask> q = r.submit(a, rw(OpCodes.READ_10, 1, 1), null, BS, ScsiTask.Attribute.SIMPLE, 2);
            CompletableFuture<ScsiTask> full = r.submit(a, rw(OpCodes.READ_10, 2, 1), null, BS, ScsiTask.Attribute.SIMPLE, 3);
            assertEquals(ScsiStatus.TASK_SET_FULL, get(full).status());
            r.lu.release();
            assertEquals(ScsiStatus.GOOD, get(w0).status());
            assertEquals(ScsiStatus.GOOD, get(q).status());
        }
    }

    /** Concurrent COMPARE AND WRITE increments of one counter block: no lost update. */
    @Test
    void shouldKeepCompareAndWriteAtomic() throws Exception {
        try (Harness h = new Harness()) {
            int threads = 4;
            int perThread = 150;
            AtomicInteger successes = new AtomicInteger();
            ExecutorService ex = Executors.newFixedThreadPool(threads);
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                ItNexus n = h.openClean("iqn.t:caw" + t, "0" + t);
                fs.add(ex.submit(() -> {
                    int done = 0;
                    while (done < perThread) {
                        Result cur = h.run(n, 0, rw(OpCodes.READ_10, 5, 1), null, BS);
                        long v = ByteBuffer.wrap(cur.data).getLong(0);
                        byte[] data = new byte[2 * BS];
                        System.arraycopy(cur.data, 0, data, 0, BS);
                        ByteBuffer.wrap(data).putLong(BS, v + 1);
                        Result r = h.run(n, 0, rw(OpCodes.COMPARE_AND_WRITE, 5, 1), data, 2 * BS);
                        if (r.status == ScsiStatus.GOOD) {
                            successes.incrementAndGet();
                            done++;
                        } else {
                            assertEquals(SenseCodes.MISCOMPARE_DURING_VERIFY, r.sense);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get(60, TimeUnit.SECONDS);
            }
            ex.shutdown();
            ItNexus n = h.openClean("iqn.t:check", "99");
            Result fin = h.run(n, 0, rw(OpCodes.READ_10, 5, 1), null, BS);
            assertEquals(threads * perThread, successes.get());
            assertEquals(threads * perThread, ByteBuffer.wrap(fin.data).getLong(0));
        }
    }

    /**
     * WRITE ATOMIC(16) (SBC-4 4.29): concurrent readers of the range never see a mix of two atomic
     * writes (each write fills 256 blocks with one byte value).
     */
    @Test
    void shouldNeverShowHalfAnAtomicWrite() throws Exception {
        try (Harness h = new Harness()) {
            int blocks = 256;
            ExecutorService ex = Executors.newFixedThreadPool(3);
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                ItNexus n = h.openClean("iqn.t:aw" + t, "0" + t);
                int base = t * 100;
                fs.add(ex.submit(() -> {
                    byte[] data = new byte[blocks * BS];
                    for (int i = 1; i <= 60; i++) {
                        java.util.Arrays.fill(data, (byte) (base + i));
                        Result r = h.run(n, 0, rw(OpCodes.WRITE_ATOMIC_16, 64, blocks), data, data.length);
                        assertEquals(ScsiStatus.GOOD, r.status, r.toString());
                    }
                    return null;
                }));
            }
            ItNexus rn = h.openClean("iqn.t:awr", "09");
            fs.add(ex.submit(() -> {
                for (int i = 0; i < 120; i++) {
                    Result r = h.run(rn, 0, rw(OpCodes.READ_16, 64, blocks), null, (long) blocks * BS);
                    assertEquals(ScsiStatus.GOOD, r.status, r.toString());
                    for (int b = 1; b < r.data.length; b++) {
                        if (r.data[b] != r.data[0]) {
                            throw new AssertionError("read " + i + " mixes atomic writes at byte " + b);
                        }
                    }
                }
                return null;
            }));
            for (Future<?> f : fs) {
                f.get(60, TimeUnit.SECONDS);
            }
            ex.shutdown();
        }
    }

    @Test
    void shouldCountIoInScsiStats() {
        try (Harness h = new Harness()) {
            ScsiStats.LuStats s = h.target.stats().of(h.lu0);
            assertEquals(0.0, s.writes().count());                                     // created at registration
            ItNexus n = h.openClean("iqn.t:s", "01");
            h.run(n, 0, rw(OpCodes.WRITE_10, 0, 4), new byte[4 * BS], 4 * BS);
            h.run(n, 0, rw(OpCodes.READ_10, 0, 2), null, 2 * BS);
            assertEquals(1.0, s.writes().count());
            assertEquals(4.0 * BS, s.writeBytes().count());
            assertEquals(1.0, s.reads().count());
            assertEquals(2.0 * BS, s.readBytes().count());
            assertEquals(1, s.writeLatency().count());
            assertTrue(h.target.stats().registry().find("evasan.lun.read.latency").tag("lun", "lu0").timer() != null);
        }
    }
}
