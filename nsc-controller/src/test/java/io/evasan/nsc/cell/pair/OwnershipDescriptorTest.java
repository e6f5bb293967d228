package io.evasan.nsc.cell.pair;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.api.FailoverMode;
import io.evasan.nsc.api.LunOwnership;
import io.evasan.nsc.api.NscId;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The stored layout of a unit's ownership ({@code lun-owner/<unit>} in the MLD): golden bytes for a few values, and
 * every single-bit flip of every valid record either decodes to another valid value (that encodes back to the
 * flipped bytes) or is refused with CORRUPT_METADATA, never with an exception of another kind.
 */
class OwnershipDescriptorTest {

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    /** Every valid ownership of unit {@code unit}: owner x preferred (or none) x mode, as the record allows. */
    private static List<LunOwnership> all(int unit) {
        List<LunOwnership> out = new ArrayList<>();
        for (NscId owner : NscId.values()) {
            out.add(new LunOwnership(unit, owner, null, FailoverMode.NO_PREFERENCE));
            for (NscId preferred : NscId.values()) {
                for (FailoverMode mode : FailoverMode.values()) {
                    out.add(new LunOwnership(unit, owner, preferred, mode));
                }
            }
        }
        return out;
    }

    @Test
    void shouldEncodeTheGoldenBytes() {
        assertArrayEquals(bytes(1, 0, 0xFF, 0),
                OwnershipDescriptor.encode(new LunOwnership(7, NscId.A, null, FailoverMode.NO_PREFERENCE)));
        assertArrayEquals(bytes(1, 1, 0xFF, 0),
                OwnershipDescriptor.encode(new LunOwnership(7, NscId.B, null, FailoverMode.NO_PREFERENCE)));
        assertArrayEquals(bytes(1, 0, 1, 1),
                OwnershipDescriptor.encode(new LunOwnership(3, NscId.A, NscId.B, FailoverMode.FAILOVER_ONLY)));
        assertArrayEquals(bytes(1, 1, 1, 2),
                OwnershipDescriptor.encode(new LunOwnership(0, NscId.B, NscId.B, FailoverMode.FAILOVER_FAILBACK)));
        assertArrayEquals(bytes(1, 1, 0, 0),
                OwnershipDescriptor.encode(new LunOwnership(9, NscId.B, NscId.A, FailoverMode.NO_PREFERENCE)));
        assertEquals(OwnershipDescriptor.LENGTH, OwnershipDescriptor.encode(all(1).get(0)).length);
    }

    @Test
    void shouldDecodeTheGoldenBytes() {
        assertEquals(new LunOwnership(7, NscId.A, null, FailoverMode.NO_PREFERENCE),
                OwnershipDescriptor.decode(7, bytes(1, 0, 0xFF, 0)));
        assertEquals(new LunOwnership(3, NscId.A, NscId.B, FailoverMode.FAILOVER_ONLY),
                OwnershipDescriptor.decode(3, bytes(1, 0, 1, 1)));
        assertEquals(new LunOwnership(0, NscId.B, NscId.B, FailoverMode.FAILOVER_FAILBACK),
                OwnershipDescriptor.decode(0, bytes(1, 1, 1, 2)));
        assertEquals(new LunOwnership(65_535, NscId.B, NscId.A, FailoverMode.NO_PREFERENCE),
                OwnershipDescriptor.decode(65_535, bytes(1, 1, 0, 0)));
    }

    @Test
    void shouldRoundTripEveryValidValue() {
        for (LunOwnership o : all(42)) {
            assertEquals(o, OwnershipDescriptor.decode(42, OwnershipDescriptor.encode(o)), o.toString());
        }
    }

    private static void assertCorrupt(int unit, byte[] b, String what) {
        StorageException e = assertThrows(StorageException.class, () -> OwnershipDescriptor.decode(unit, b), what);
        assertEquals(ErrorCode.CORRUPT_METADATA, e.code(), what + ": " + e);
    }

    @Test
    void shouldRefuseRecordsOfAnotherLengthOrVersion() {
        assertCorrupt(1, null, "null");
        assertCorrupt(1, new byte[0], "empty");
        assertCorrupt(1, bytes(1, 0, 0xFF), "3 bytes");
        assertCorrupt(1, bytes(1, 0, 0xFF, 0, 0), "5 bytes");
        assertCorrupt(1, bytes(0, 0, 0xFF, 0), "version 0");
        assertCorrupt(1, bytes(2, 0, 0xFF, 0), "version 2");
        assertCorrupt(1, bytes(0xFF, 0, 0xFF, 0), "version FFh");
        assertCorrupt(1, bytes(1, 2, 0xFF, 0), "owner 2");
        assertCorrupt(1, bytes(1, 0, 2, 0), "preferred 2");
        assertCorrupt(1, bytes(1, 0, 0xFE, 0), "preferred FEh");
        assertCorrupt(1, bytes(1, 0, 0, 3), "mode 3");
        assertCorrupt(1, bytes(1, 0, 0xFF, 1), "failover only without a preferred controller");
        assertCorrupt(1, bytes(1, 0, 0xFF, 2), "failover + failback without a preferred controller");
        assertCorrupt(-1, bytes(1, 0, 0xFF, 0), "a negative unit id");
    }

    @Test
    void shouldDecodeEverySingleBitFlipToAnotherValidValueOrRefuseIt() {
        int unit = 12;
        Set<LunOwnership> reached = new HashSet<>();
        int refused = 0;
        for (LunOwnership o : all(unit)) {
            byte[] good = OwnershipDescriptor.encode(o);
            for (int bit = 0; bit < good.length * 8; bit++) {
                byte[] b = good.clone();
                b[bit / 8] ^= (byte) (1 << (bit % 8));
                String what = o + " with bit " + bit + " flipped";
                LunOwnership got;
                try {
                    got = OwnershipDescriptor.decode(unit, b);
                } catch (StorageException e) {
                    assertEquals(ErrorCode.CORRUPT_METADATA, e.code(), what + ": " + e);
                    refused++;
                    continue;
                } catch (RuntimeException e) {
                    fail(what + ": " + e, e);
                    return;
                }
                assertNotEquals(o, got, what);
                assertEquals(unit, got.unitId(), what);
                assertArrayEquals(b, OwnershipDescriptor.encode(got), what + " decoded to " + got);
                reached.add(got);
            }
        }
        assertTrue(refused > 0, "some flips are refused");
        // every valid value is one bit away from another valid value: owner, preferred and mode each have a 0/1 bit
        assertEquals(new HashSet<>(all(unit)), reached);
    }
}
