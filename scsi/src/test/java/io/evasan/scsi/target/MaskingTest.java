package io.evasan.scsi.target;

import io.evasan.scsi.Harness;
import io.evasan.scsi.Harness.Result;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.cdb.BlockCdbDescriptor;
import io.evasan.scsi.cdb.CdbDescriptor;
import io.evasan.scsi.cdb.OpCodes;
import io.evasan.scsi.cdb.ParameterListDescriptor;
import io.evasan.scsi.cdb.ServiceCdbDescriptor;
import io.evasan.scsi.lu.impl.MemoryLogicalUnit;
import io.evasan.scsi.sense.SenseCodes;
import io.evasan.scsi.vendor.DcmdDescriptor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** LUN masking: an unpresented LUN is never reached; REPORT LUNS and presentation changes. */
class MaskingTest {
    static final String X = "iqn.2026-01.test:x";
    static final String Y = "iqn.2026-01.test:y";

    static List<byte[]> everyCommand() {
        List<byte[]> l = new ArrayList<>();
        l.add(new byte[6]);
        for (int op : new int[]{OpCodes.READ_6, OpCodes.READ_10, OpCodes.READ_12, OpCodes.READ_16, OpCodes.WRITE_6, OpCodes.WRITE_10,
                OpCodes.WRITE_12, OpCodes.WRITE_16, OpCodes.VERIFY_10, OpCodes.VERIFY_16, OpCodes.WRITE_AND_VERIFY_10,
                OpCodes.PRE_FETCH_10, OpCodes.SYNCHRONIZE_CACHE_10, OpCodes.SYNCHRONIZE_CACHE_16, OpCodes.WRITE_SAME_10,
                OpCodes.WRITE_SAME_16, OpCodes.COMPARE_AND_WRITE}) {
            byte[] c = new byte[16];
            l.add(Arrays.copyOf(c, BlockCdbDescriptor.encode(c, op, 0, 1, 0)));
        }
        byte[] c;
        c = new byte[10]; ServiceCdbDescriptor.readCapacity10(c); l.add(c);
        c = new byte[16]; ServiceCdbDescriptor.serviceActionIn16(c, 0x10, 0, 32); l.add(c);
        c = new byte[16]; ServiceCdbDescriptor.serviceActionIn16(c, 0x12, 0, 32); l.add(c);
        c = new byte[6]; ServiceCdbDescriptor.inquiry(c, true, 0x83, 255); l.add(c);
        c = new byte[6]; ServiceCdbDescriptor.modeSense6(c, false, 0, 0x3F, 0, 255); l.add(c);
        c = new byte[10]; ServiceCdbDescriptor.unmap(c, false, 24); l.add(c);
        c = new byte[10]; ServiceCdbDescriptor.persistentReserveIn(c, 0, 64); l.add(c);
        c = new byte[10]; ServiceCdbDescriptor.persistentReserveOut(c, 0, 0, 0, 24); l.add(c);
        c = new byte[6]; ServiceCdbDescriptor.simple6(c, OpCodes.RESERVE_6); l.add(c);
        c = new byte[6]; ServiceCdbDescriptor.startStopUnit(c, false, 0, false, true); l.add(c);
        c = new byte[12]; ServiceCdbDescriptor.reportSupportedOpcodes(c, false, 0, 0, 0, 512); l.add(c);
        c = new byte[10]; DcmdDescriptor.encodeSnapshot(c, true); l.add(c);
        return l;
    }

    @Test
    void shouldNeverReachAnUnpresentedLogicalUnit() {
        try (Harness h = new Harness()) {
            CountingLu secret = new CountingLu("secret", 1024);
            h.table.present(X, 1, secret);
            h.target.registerVendorHandler(0x20, r -> {
                r.logicalUnit().readiness();
                return 0;
            });
            ItNexus y = h.openClean(Y, "01");
            int before = secret.touches.get();
            for (byte[] cdb : everyCommand()) {
                byte[] out = new byte[2048];
                ParameterListDescriptor.unmapList(out, new long[]{0}, new int[]{1});
                Result r = h.run(y, 1, cdb, out, 1024);
                assertEquals(ScsiStatus.CHECK_CONDITION, r.status, "opcode " + Integer.toHexString(cdb[0] & 0xFF));
                assertEquals(SenseCodes.LOGICAL_UNIT_NOT_SUPPORTED, r.sense);
            }
            byte[] inq = new byte[6];
            ServiceCdbDescriptor.inquiry(inq, false, 0, 96);
            assertEquals(0x7F, h.run(y, 1, inq, null, 96).data[0] & 0xFF);
            assertEquals(before, secret.touches.get(), "an unpresented LU was touched");
            ItNexus x = h.openClean(X, "02");
            Result r = h.run(x, 1, new byte[6], null, 0);
            assertEquals(ScsiStatus.CHECK_CONDITION, r.status);               // first command on LU 1: POR UA
            assertEquals(ScsiStatus.GOOD, h.run(x, 1, new byte[6], null, 0).status);
        }
    }

    static int[] reportLuns(Harness h, ItNexus n) {
        byte[] c = new byte[12];
        ServiceCdbDescriptor.reportLuns(c, 0, 4096);
        Result r = h.run(n, 0, c, null, 4096);
        assertEquals(ScsiStatus.GOOD, r.status);
        int count = (int) CdbDescriptor.u32(r.data, 0) / 8;
        int[] luns = new int[count];
        for (int i = 0; i < count; i++) {
            int b0 = r.data[8 + 8 * i] & 0xFF;
            int b1 = r.data[9 + 8 * i] & 0xFF;
            luns[i] = (b0 & 0x3F) << 8 | b1;
            if (b0 != 0) {
                assertEquals(0x40, b0 & 0xC0, "flat addressing");
            }
        }
        return luns;
    }

    @Test
    void shouldReportOnlyPresentedLuns() {
        try (Harness h = new Harness()) {
            h.table.present(X, 1, new MemoryLogicalUnit("x1", 100));
            h.table.present(X, 300, new MemoryLogicalUnit("x300", 100));
            ItNexus x = h.openClean(X, "01");
            ItNexus y = h.openClean(Y, "02");
            assertEquals("[0, 1, 300]", Arrays.toString(reportLuns(h, x)));
            assertEquals("[0]", Arrays.toString(reportLuns(h, y)));
        }
    }

    @Test
    void shouldRaiseReportedLunsDataChangedOnPresentationChange() {
        try (Harness h = new Harness()) {
            ItNexus x = h.openClean(X, "01");
            ItNexus y = h.openClean(Y, "02");
            MemoryLogicalUnit lu = new MemoryLogicalUnit("new", 100);
            h.table.present(Y, 2, lu);
            assertEquals(ScsiStatus.GOOD, h.run(x, 0, new byte[6], null, 0).status);       // X unaffected
            Result r = h.run(y, 0, new byte[6], null, 0);
            assertEquals(SenseCodes.REPORTED_LUNS_DATA_HAS_CHANGED, r.sense);
            assertEquals(ScsiStatus.GOOD, h.run(y, 0, new byte[6], null, 0).status);
            h.table.present(PresentationTableAll.ALL, 3, new MemoryLogicalUnit("all3", 100));
            assertEquals("[0, 2, 3]", Arrays.toString(reportLuns(h, y)));             // REPORT LUNS clears the UA
            assertEquals(ScsiStatus.GOOD, h.run(y, 0, new byte[6], null, 0).status);
            assertEquals(SenseCodes.REPORTED_LUNS_DATA_HAS_CHANGED, h.run(x, 0, new byte[6], null, 0).sense);
            h.table.unpresent(Y, 2);
            assertEquals(SenseCodes.LOGICAL_UNIT_NOT_SUPPORTED, h.run(y, 2, new byte[6], null, 0).sense);
        }
    }

    /** Alias so the wildcard constant reads clearly in this test. */
    static final class PresentationTableAll {
        static final String ALL = io.evasan.scsi.lu.impl.PresentationTable.ALL;
    }
}
