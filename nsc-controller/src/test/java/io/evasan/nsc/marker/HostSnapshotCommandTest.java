package io.evasan.nsc.marker;

import io.evasan.nsc.cache.CacheConfig;
import io.evasan.nsc.cache.CacheStats;
import io.evasan.nsc.cache.impl.MemoryDestageTarget;
import io.evasan.nsc.cache.impl.WriteBackCache;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.ScsiTask;
import io.evasan.scsi.lu.impl.MemoryLogicalUnit;
import io.evasan.scsi.lu.impl.PresentationTable;
import io.evasan.scsi.target.impl.DiskTarget;
import io.evasan.scsi.vendor.SnapshotMarkerCdbDescriptor;
import io.evasan.scsi.vendor.SnapshotMarkerHandler;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Seed 000 Fig. 9 / seed 002 claims 22-24: the host requests the snapshot with a SCSI CDB (C0h). */
class HostSnapshotCommandTest {

    private static ScsiTask run(DiskTarget t, ItNexus nexus, byte[] cdb, int cdbLen, int edtl) throws Exception {
        ScsiTask task = new ScsiTask();
        task.reset(nexus, 0, 1, ScsiTask.Attribute.SIMPLE, cdbLen, edtl, edtl > 0, false);
        System.arraycopy(cdb, 0, task.cdb(), 0, cdbLen);
        task.dataIn(ByteBuffer.allocate(Math.max(edtl, 64)));
        task.dataOut(ByteBuffer.allocate(0));
        CompletableFuture<ScsiTask> done = new CompletableFuture<>();
        task.callback(done::complete);
        t.submit(task);
        return done.get(20, TimeUnit.SECONDS);
    }

    @Test
    void shouldInsertMarkerForTheAddressedLunFromTheVendorCdb() throws Exception {
        MemoryDestageTarget mem = new MemoryDestageTarget();
        mem.createLun(3, 1 << 20);
        MemoryLogicalUnit lu = new MemoryLogicalUnit("lun3", 2048);
        MemoryLogicalUnit foreign = new MemoryLogicalUnit("other", 2048);
        PresentationTable table = new PresentationTable();
        table.present(PresentationTable.ALL, 0, lu);
        table.present(PresentationTable.ALL, 1, foreign);
        DiskTarget target = new DiskTarget(table);
        try (WriteBackCache cache = new WriteBackCache(new CacheConfig(), mem, mem, new CacheStats("host"))) {
            target.registerVendorHandler(SnapshotMarkerCdbDescriptor.OPCODE, new SnapshotMarkerHandler(
                    new HostSnapshotCommand(cache, u -> u == lu ? 3 : -1, 5000)));
            ItNexus nexus = target.openNexus("iqn.2026-11.test:host", "iqn.2026-11.test:host,i,0x1", "tgt,t,0x1", 1);
            run(target, nexus, new byte[6], 6, 0); // clears the power-on unit attention
            cache.pauseDestage();
            ByteBuffer w = ByteBuffer.allocate(512).putLong(0, 11);
            cache.write(1, 3, 0, w, false);

            byte[] cdb = new byte[16];
            SnapshotMarkerCdbDescriptor.encode(cdb, SnapshotMarkerCdbDescriptor.SA_SNAPCLONE, 0xABCDL, 16);
            ScsiTask t = run(target, nexus, cdb, 16, 16);
            assertEquals(ScsiStatus.GOOD, t.status());
            long seq = t.dataIn().getLong(0);
            assertEquals(0xABCDL, t.dataIn().getLong(8));
            var items = cache.pendingItems();
            assertEquals(2, items.size());
            assertTrue(items.get(1).marker());
            assertEquals(seq, items.get(1).seq());
            SnapshotRequest req = items.get(1).request();
            assertEquals(5001, req.requestId());
            assertEquals("host-43981", req.name());
            assertEquals(SnapshotRequest.Kind.SNAPCLONE, req.kind());
            assertEquals(SnapshotRequest.Source.HOST, req.source());
            assertEquals(3, req.lunId(0));

            cache.write(1, 3, 0, ByteBuffer.allocate(512).putLong(0, 12), false);
            cache.resumeDestage();
            cache.synchronizeAll();
            assertEquals(11, ByteBuffer.wrap(mem.snapshot(5001, 3)).getLong(0));
            assertEquals(12, ByteBuffer.wrap(mem.contents(3)).getLong(0));

            ScsiTask bad = new ScsiTask();
            bad.reset(nexus, 1, 2, ScsiTask.Attribute.SIMPLE, 16, 16, true, false);
            System.arraycopy(cdb, 0, bad.cdb(), 0, 16);
            bad.dataIn(ByteBuffer.allocate(64)).dataOut(ByteBuffer.allocate(0));
            CompletableFuture<ScsiTask> f = new CompletableFuture<>();
            bad.callback(f::complete);
            target.submit(bad);
            ScsiTask r = f.get(20, TimeUnit.SECONDS);
            assertEquals(ScsiStatus.CHECK_CONDITION, r.status());
            assertTrue(cache.pendingItems().isEmpty(), "a refused host request inserts nothing");
        } finally {
            target.close();
        }
    }
}
