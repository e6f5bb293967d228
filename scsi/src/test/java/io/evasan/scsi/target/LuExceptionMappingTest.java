package io.evasan.scsi.target;

import io.evasan.scsi.Harness;
import io.evasan.scsi.Harness.Result;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.cdb.BlockCdbDescriptor;
import io.evasan.scsi.cdb.OpCodes;
import io.evasan.scsi.lu.LbaStatusSink;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.lu.LuException;
import io.evasan.scsi.lu.impl.MemoryLogicalUnit;
import io.evasan.scsi.sense.SenseCodes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Backend failures reach the initiator only through LuException, unchanged. */
class LuExceptionMappingTest {

    /** A LU whose read/write/unmap/flush fail with a configured exception. */
    static final class FailingLu implements LogicalUnit {
        final MemoryLogicalUnit inner = new MemoryLogicalUnit("failing", 1024);
        volatile LuException failure;

        @Override public String name() { return inner.name(); }
        @Override public long blockCount() { return inner.blockCount(); }
        @Override public byte[] naaIdentifier() { return inner.naaIdentifier(); }
        @Override public String serialNumber() { return inner.serialNumber(); }
        @Override public boolean thinProvisioned() { return true; }

        private void maybeFail() throws LuException {
            if (failure != null) {
                throw failure;
            }
        }

        @Override public void read(long lba, int blocks, ByteBuffer dst) throws LuException { maybeFail(); inner.read(lba, blocks, dst); }
        @Override public void write(long lba, int blocks, ByteBuffer src, boolean fua) throws LuException { maybeFail(); inner.write(lba, blocks, src, fua); }
        @Override public void unmap(long lba, long blocks) throws LuException { maybeFail(); inner.unmap(lba, blocks); }
        @Override public void lbaStatus(long lba, long max, LbaStatusSink sink) throws LuException { maybeFail(); inner.lbaStatus(lba, max, sink); }
        @Override public void flush(long lba, long blocks) throws LuException { maybeFail(); inner.flush(lba, blocks); }
    }

    static byte[] blk(int op, long lba, long n) {
        byte[] c = new byte[16];
        return Arrays.copyOf(c, BlockCdbDescriptor.encode(c, op, lba, n, 0));
    }

    @ParameterizedTest(name = "sense {0}")
    @ValueSource(ints = {0x031100, 0x030300, 0x072707, 0x040800, 0x098122})
    void shouldPassCheckConditionThrough(int code) {
        try (Harness h = new Harness()) {
            FailingLu lu = new FailingLu();
            h.table.present("*", 1, lu);
            ItNexus n = h.openClean("iqn.t:f", "01");
            h.run(n, 1, new byte[6], null, 0); // POR on LUN 1
            lu.failure = LuException.check(code, 77, null);
            Result r = h.run(n, 1, blk(OpCodes.READ_10, 77, 1), null, 512);
            assertEquals(ScsiStatus.CHECK_CONDITION, r.status);
            assertEquals(code, r.sense);
            assertEquals(77, r.information);
            Result w = h.run(n, 1, blk(OpCodes.WRITE_16, 5, 1), new byte[512], 512);
            assertEquals(code, w.sense);
            Result s = h.run(n, 1, blk(OpCodes.SYNCHRONIZE_CACHE_10, 0, 0), null, 0);
            assertEquals(code, s.sense);
        }
    }

    @Test
    void shouldPassBusyThrough() {
        try (Harness h = new Harness()) {
            FailingLu lu = new FailingLu();
            h.table.present("*", 1, lu);
            ItNexus n = h.openClean("iqn.t:f", "01");
            h.run(n, 1, new byte[6], null, 0);
            lu.failure = LuException.busy("copy in progress");
            Result r = h.run(n, 1, blk(OpCodes.READ_10, 0, 1), null, 512);
            assertEquals(ScsiStatus.BUSY, r.status);
            assertEquals(0, r.sense);
            lu.failure = null;
            assertEquals(ScsiStatus.GOOD, h.run(n, 1, blk(OpCodes.READ_10, 0, 1), null, 512).status);
        }
    }

    @Test
    void shouldRejectMisuse() {
        assertThrows(IllegalArgumentException.class, () -> LuException.check(SenseCodes.NO_SENSE));
        assertThrows(IllegalArgumentException.class, () -> LuException.status(ScsiStatus.GOOD, "x"));
        assertThrows(IllegalArgumentException.class, () -> LuException.status(ScsiStatus.CHECK_CONDITION, "x"));
    }
}
