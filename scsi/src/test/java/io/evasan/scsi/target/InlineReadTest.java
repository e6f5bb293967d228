package io.evasan.scsi.target;

import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.ScsiTask;
import io.evasan.scsi.cdb.BlockCdbDescriptor;
import io.evasan.scsi.cdb.OpCodes;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.lu.impl.MemoryLogicalUnit;
import io.evasan.scsi.lu.impl.PresentationTable;
import io.evasan.scsi.target.impl.DiskTarget;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ScsiTask#inlineAllowed()}: a lone small READ on a {@link LogicalUnit#fastReads()} LU completes
 * on the submitting thread before submit returns; everything else still goes to the workers.
 */
class InlineReadTest {
    static final int BS = 512;

    static final class Run {
        final ScsiTask task = new ScsiTask();
        final AtomicReference<Thread> ranOn = new AtomicReference<>();
        final CompletableFuture<ScsiTask> done = new CompletableFuture<>();
        boolean doneBeforeReturn;
    }

    static Run submit(DiskTarget target, ItNexus n, int lun, byte[] cdb, byte[] out, int edtl, boolean inline) {
        Run r = new Run();
        ScsiTask t = r.task;
        t.reset(n, lun, 7, ScsiTask.Attribute.SIMPLE, 16, edtl, out == null && edtl > 0, out != null);
        System.arraycopy(cdb, 0, t.cdb(), 0, cdb.length);
        t.dataOut(out == null ? null : ByteBuffer.wrap(out));
        t.dataIn(ByteBuffer.allocateDirect(Math.max(edtl, 1)));
        t.inlineAllowed(inline);
        t.callback(x -> {
            r.ranOn.set(Thread.currentThread());
            r.done.complete(x);
        });
        target.submit(t);
        r.doneBeforeReturn = r.done.isDone();
        return r;
    }

    static byte[] rw(int op, long lba, int n) {
        byte[] c = new byte[16];
        return Arrays.copyOf(c, BlockCdbDescriptor.encode(c, op, lba, n, 0));
    }

    @Test
    void shouldRunALoneSmallReadOnTheSubmittingThreadAndTheRestOnWorkers() throws Exception {
        PresentationTable table = new PresentationTable();
        MemoryLogicalUnit mem = new MemoryLogicalUnit("m", 8192);
        CountingLu slow = new CountingLu("c", 8192);   // fastReads() false
        table.present(PresentationTable.ALL, 0, mem);
        table.present(PresentationTable.ALL, 1, slow);
        try (DiskTarget target = new DiskTarget(table, new ScsiStats(), 2, 64)) {
            ItNexus n = target.openNexus("iqn.i", "iqn.i,i,0x01", "iqn.t,t,0x1", 1);
            for (int lun = 0; lun < 2; lun++) {   // eat the power-on unit attention
                submit(target, n, lun, new byte[6], null, 0, false).done.get(10, TimeUnit.SECONDS);
            }
            long seed = Long.getLong("evasan.seed", System.nanoTime());
            System.out.println("InlineReadTest seed=" + seed);
            Random rnd = new Random(seed);
            byte[] model = new byte[8192 * BS];
            for (int step = 0; step < 200; step++) {
                int blocks = 1 + rnd.nextInt(rnd.nextBoolean() ? 128 : 512);
                long lba = rnd.nextInt(8192 - blocks);
                boolean inline = rnd.nextBoolean();
                String where = "seed=" + seed + " step=" + step + " lba=" + lba + " blocks=" + blocks + " inline=" + inline;
                if (rnd.nextInt(3) == 0) {
                    byte[] d = new byte[blocks * BS];
                    rnd.nextBytes(d);
                    Run w = submit(target, n, 0, rw(OpCodes.WRITE_10, lba, blocks), d, d.length, inline);
                    assertEquals(ScsiStatus.GOOD, w.done.get(10, TimeUnit.SECONDS).status(), where);
                    assertNotSame(Thread.currentThread(), w.ranOn.get(), "writes always go to a worker: " + where);
                    System.arraycopy(d, 0, model, (int) lba * BS, d.length);
                } else {
                    Run r = submit(target, n, 0, rw(OpCodes.READ_10, lba, blocks), null, blocks * BS, inline);
                    ScsiTask t = r.done.get(10, TimeUnit.SECONDS);
                    assertEquals(ScsiStatus.GOOD, t.status(), where);
                    boolean expectInline = inline && (long) blocks * BS <= 64 * 1024;
                    if (expectInline) {
                        assertTrue(r.doneBeforeReturn, where);
                        assertSame(Thread.currentThread(), r.ranOn.get(), where);
                    } else {
                        assertNotSame(Thread.currentThread(), r.ranOn.get(), where);
                    }
                    byte[] got = new byte[blocks * BS];
                    t.dataIn().get(0, got);
                    assertArrayEquals(Arrays.copyOfRange(model, (int) lba * BS, (int) (lba + blocks) * BS), got, where);
                }
            }
            // an LU that does not declare fast reads never runs on the caller
            Run r = submit(target, n, 1, rw(OpCodes.READ_10, 0, 8), null, 8 * BS, true);
            assertEquals(ScsiStatus.GOOD, r.done.get(10, TimeUnit.SECONDS).status());
            assertNotSame(Thread.currentThread(), r.ranOn.get());
        } finally {
            slow.release();
        }
    }
}
