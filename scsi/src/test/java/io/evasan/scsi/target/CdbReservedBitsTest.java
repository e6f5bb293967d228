package io.evasan.scsi.target;

import io.evasan.scsi.Harness;
import io.evasan.scsi.Harness.Result;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.sense.SenseCodes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.stream.IntStream;
import java.util.stream.Stream;

import static io.evasan.scsi.ScsiStatus.CHECK_CONDITION;
import static io.evasan.scsi.ScsiStatus.GOOD;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Issue 11 finding 8 (part): reserved CDB bits and the CONTROL byte's LINK / obsolete FLAG /
 * reserved bits are refused with 05/24/00 INVALID FIELD IN CDB, the field pointer at the byte and
 * the bit pointer at the highest offending bit (SPC-4 4.5.2.4.2), before the command does anything.
 * Vendor-specific CONTROL bits (7:6) stay accepted.
 */
class CdbReservedBitsTest {

    static Stream<Arguments> turReservedBits() {
        return IntStream.rangeClosed(1, 4).boxed()
                .flatMap(b -> IntStream.range(0, 8).mapToObj(bit -> Arguments.of(b, bit)));
    }

    static void assertInvalidField(Result r, int field, int bit) {
        assertEquals(CHECK_CONDITION, r.status, r.toString());
        assertEquals(SenseCodes.INVALID_FIELD_IN_CDB, r.sense, r.toString());
        assertEquals(field, r.fieldPointer, "field pointer");
        assertEquals(0xC8 | bit, r.senseBytes[15] & 0xFF, "SKSV, C/D=1, BPV=1, bit pointer " + bit);
    }

    @ParameterizedTest(name = "TEST UNIT READY byte {0} bit {1}")
    @MethodSource("turReservedBits")
    void shouldRefuseTestUnitReadyWithAReservedBitSet(int b, int bit) {
        try (Harness h = new Harness()) {
            ItNexus n = h.openClean("iqn.t:tur", "01");
            byte[] tur = new byte[6];
            tur[b] = (byte) (1 << bit);
            assertInvalidField(h.run(n, 0, tur, null, 0), b, bit);
            assertEquals(GOOD, h.run(n, 0, new byte[6], null, 0).status, "a clean TUR still answers GOOD");
        }
    }

    @ParameterizedTest(name = "CONTROL bit {0}")
    @ValueSource(ints = {0, 1, 3, 4, 5})
    void shouldRefuseLinkFlagAndReservedControlBits(int bit) {
        try (Harness h = new Harness()) {
            ItNexus n = h.openClean("iqn.t:link", "01");
            byte[] tur = new byte[6];
            tur[5] = (byte) (1 << bit);
            assertInvalidField(h.run(n, 0, tur, null, 0), 5, bit);
        }
    }

    @ParameterizedTest(name = "vendor-specific CONTROL bit {0}")
    @ValueSource(ints = {6, 7})
    void shouldAcceptVendorSpecificControlBits(int bit) {
        try (Harness h = new Harness()) {
            ItNexus n = h.openClean("iqn.t:vs", "01");
            byte[] tur = new byte[6];
            tur[5] = (byte) (1 << bit);
            assertEquals(GOOD, h.run(n, 0, tur, null, 0).status);
        }
    }

    @Test
    void shouldRefuseALinkedWriteWithoutWritingIt() {
        try (Harness h = new Harness()) {
            ItNexus n = h.openClean("iqn.t:w", "01");
            byte[] data = Harness.pattern(4096, 5);
            byte[] write10 = Harness.hex("2A 00 00000010 00 0008 01");   // LBA 16, 8 blocks, LINK=1
            assertInvalidField(h.run(n, 0, write10, data, data.length), 9, 0);
            Result rd = h.run(n, 0, Harness.hex("28 00 00000010 00 0008 00"), null, 4096);
            assertEquals(GOOD, rd.status, rd.toString());
            assertArrayEquals(new byte[4096], rd.data, "nothing was written");
        }
    }

    @Test
    void shouldRefuseReservedBytesOfReportLunsAndSynchronizeCache() {
        try (Harness h = new Harness()) {
            ItNexus n = h.openClean("iqn.t:rl", "01");
            assertInvalidField(h.run(n, 0, Harness.hex("A0 00 00 20 00 00 00000100 00 00"), null, 256), 3, 5);
            assertEquals(GOOD, h.run(n, 0, Harness.hex("A0 00 00 00 00 00 00000100 00 00"), null, 256).status);
            assertInvalidField(h.run(n, 0, Harness.hex("35 80 00000000 00 0000 00"), null, 0), 1, 7);
            assertEquals(GOOD, h.run(n, 0, Harness.hex("35 02 00000000 00 0000 00"), null, 0).status,
                    "IMMED is a defined bit");
        }
    }
}
