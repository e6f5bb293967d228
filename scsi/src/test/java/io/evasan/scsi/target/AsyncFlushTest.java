package io.evasan.scsi.target;

import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.ScsiTask;
import io.evasan.scsi.TmfFunction;
import io.evasan.scsi.cdb.BlockCdbDescriptor;
import io.evasan.scsi.cdb.OpCodes;
import io.evasan.scsi.lu.LbaStatusSink;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.lu.LuException;
import io.evasan.scsi.lu.impl.MemoryLogicalUnit;
import io.evasan.scsi.lu.impl.PresentationTable;
import io.evasan.scsi.sense.SenseCodes;
import io.evasan.scsi.sense.SenseDataDescriptor;
import io.evasan.scsi.target.impl.DiskTarget;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * SYNCHRONIZE CACHE and FUA writes on an LU with asynchronous stability ({@link LogicalUnit#flushAsync},
 * {@link LogicalUnit#writeFuaAsync}) never hold a worker: with every worker's worth of them pending on a
 * stuck LU, another LU still answers; each completes with the LU's answer once its future does.
 */
class AsyncFlushTest {
    static final int WORKERS = 2;

    /** A RAM LU whose stability waits are futures the test completes. */
    static final class StuckLu implements LogicalUnit {
        final MemoryLogicalUnit inner;
        final List<CompletableFuture<Void>> pending = new CopyOnWriteArrayList<>();

        StuckLu(String name) {
            inner = new MemoryLogicalUnit(name, 4096);
        }

        @Override public String name() { return inner.name(); }
        @Override public long blockCount() { return inner.blockCount(); }
        @Override public byte[] naaIdentifier() { return inner.naaIdentifier(); }
        @Override public String serialNumber() { return inner.serialNumber(); }
        @Override public boolean thinProvisioned() { return inner.thinProvisioned(); }
        @Override public void read(long lba, int blocks, ByteBuffer dst) throws LuException { inner.read(lba, blocks, dst); }
        @Override public void write(long lba, int blocks, ByteBuffer src, boolean fua) throws LuException {
            if (fua) {
                throw new AssertionError("a FUA write must come through writeFuaAsync");
            }
            inner.write(lba, blocks, src, false);
        }
        @Override public void unmap(long lba, long blocks) throws LuException { inner.unmap(lba, blocks); }
        @Override public void lbaStatus(long lba, long maxBlocks, LbaStatusSink sink) throws LuException {
            inner.lbaStatus(lba, maxBlocks, sink);
        }
        @Override public void flush(long lba, long blocks) {
            throw new AssertionError("SYNCHRONIZE CACHE must come through flushAsync");
        }

        @Override
        public CompletableFuture<Void> flushAsync(long lba, long blocks) {
            CompletableFuture<Void> f = new CompletableFuture<>();
            pending.add(f);
            return f;
        }

        @Override
        public CompletableFuture<Void> writeFuaAsync(long lba, int blocks, ByteBuffer src) throws LuException {
            inner.write(lba, blocks, src, false);
            return flushAsync(lba, blocks);
        }
    }

    private static CompletableFuture<ScsiTask> submit(DiskTarget target, ItNexus n, int lun, byte[] cdb, byte[] out, long edtl) {
        ScsiTask t = new ScsiTask();
        t.reset(n, lun, 1, ScsiTask.Attribute.SIMPLE, 16, edtl, out == null && edtl > 0, out != null);
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

    private static ScsiTask get(CompletableFuture<ScsiTask> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    private static int sense(ScsiTask t) {
        return SenseDataDescriptor.code(Arrays.copyOf(t.sense(), t.senseLength()));
    }

    private static byte[] cdb(int op, long lba, int n, boolean fua) {
        byte[] c = new byte[16];
        byte[] cdb = Arrays.copyOf(c, BlockCdbDescriptor.encode(c, op, lba, n, 0));
        if (fua) {
            cdb[1] |= 0x08;
        }
        return cdb;
    }

    @Test
    void shouldAnswerOtherLusWhileSyncsAndFuaWritesOfAStuckLuWait() throws Exception {
        PresentationTable table = new PresentationTable();
        StuckLu stuck = new StuckLu("stuck");
        MemoryLogicalUnit other = new MemoryLogicalUnit("other", 4096);
        table.present(PresentationTable.ALL, 0, stuck);
        table.present(PresentationTable.ALL, 1, other);
        try (DiskTarget target = new DiskTarget(table, new ScsiStats(), WORKERS, 64)) {
            ItNexus n = target.openNexus("iqn.t:h", "iqn.t:h,i,0x01", "iqn.t,t,0x1", 1);
            get(submit(target, n, 0, new byte[6], null, 0));   // power-on UA of each LU
            get(submit(target, n, 1, new byte[6], null, 0));
            List<CompletableFuture<ScsiTask>> waits = new ArrayList<>();
            byte[] data = new byte[8 * 512];
            Arrays.fill(data, (byte) 0x5A);
            for (int i = 0; i < 2 * WORKERS; i++) {
                waits.add(submit(target, n, 0, cdb(OpCodes.SYNCHRONIZE_CACHE_16, 0, 0, false), null, 0));
                waits.add(submit(target, n, 0, cdb(OpCodes.WRITE_16, 8L * i, 8, true), data, data.length));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (stuck.pending.size() < 4 * WORKERS && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(4 * WORKERS, stuck.pending.size(), "every command reached the LU");
            for (int i = 0; i < 4; i++) {
                assertEquals(ScsiStatus.GOOD, get(submit(target, n, 1, new byte[6], null, 0)).status(), "TUR on the other LU");
                ScsiTask r = get(submit(target, n, 1, cdb(OpCodes.READ_16, 0, 8, false), null, 4096));
                assertEquals(ScsiStatus.GOOD, r.status());
            }
            for (CompletableFuture<ScsiTask> w : waits) {
                assertFalse(w.isDone(), "waits for the LU's answer");
            }
            // the LU answers: GOOD for half, WRITE FAULT for the other half
            for (int i = 0; i < stuck.pending.size(); i++) {
                if (i % 2 == 0) {
                    stuck.pending.get(i).complete(null);
                } else {
                    stuck.pending.get(i).completeExceptionally(LuException.check(SenseCodes.WRITE_FAULT, 0, "lost"));
                }
            }
            int good = 0;
            int fault = 0;
            for (CompletableFuture<ScsiTask> w : waits) {
                ScsiTask t = get(w);
                if (t.status() == ScsiStatus.GOOD) {
                    good++;
                } else {
                    assertEquals(ScsiStatus.CHECK_CONDITION, t.status());
                    assertEquals(SenseCodes.WRITE_FAULT, sense(t));
                    fault++;
                }
            }
            assertEquals(2 * WORKERS, good);
            assertEquals(2 * WORKERS, fault);
            // an abort of a task waiting on the LU completes it as aborted once the LU answers
            CompletableFuture<ScsiTask> s = submit(target, n, 0, cdb(OpCodes.SYNCHRONIZE_CACHE_16, 0, 0, false), null, 0);
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (stuck.pending.size() < 4 * WORKERS + 1 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            CompletableFuture<?> tmf = target.taskManagementAsync(n, TmfFunction.ABORT_TASK_SET, 0, -1);
            Thread.sleep(20);
            stuck.pending.get(4 * WORKERS).complete(null);
            tmf.get(10, TimeUnit.SECONDS);
            assertEquals(ScsiStatus.TASK_ABORTED, get(s).status());
        }
    }
}
