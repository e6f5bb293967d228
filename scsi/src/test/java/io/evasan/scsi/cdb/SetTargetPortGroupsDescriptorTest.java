package io.evasan.scsi.cdb;

import io.evasan.scsi.alua.AccessState;
import io.evasan.scsi.cdb.SetTargetPortGroupsDescriptor.BadField;
import io.evasan.scsi.cdb.SetTargetPortGroupsDescriptor.Request;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** SET TARGET PORT GROUPS layouts: golden bytes, round trip, every reserved bit refused. */
class SetTargetPortGroupsDescriptorTest {
    private static final List<Request> TWO = List.of(new Request(2, AccessState.ACTIVE_OPTIMIZED),
            new Request(1, AccessState.ACTIVE_NON_OPTIMIZED));
    private static final String GOLDEN = "00000000" + "00 00 0002" + "01 00 0001";

    @Test
    void shouldEncodeTheGoldenCdbAndParameterList() {
        byte[] cdb = new byte[12];
        assertEquals(12, SetTargetPortGroupsDescriptor.encodeCdb(cdb, 12));
        assertArrayEquals(HexFormat.of().parseHex("a40a000000000000000c0000"), cdb);
        assertEquals(12, SetTargetPortGroupsDescriptor.parameterListLength(cdb));
        assertArrayEquals(HexFormat.of().parseHex(GOLDEN.replace(" ", "")),
                SetTargetPortGroupsDescriptor.encodeParameters(TWO));
    }

    @Test
    void shouldDecodeWhatItEncodes() throws BadField {
        byte[] p = SetTargetPortGroupsDescriptor.encodeParameters(TWO);
        assertEquals(TWO, SetTargetPortGroupsDescriptor.decode(p, p.length));
        assertEquals(List.of(), SetTargetPortGroupsDescriptor.decode(p, 0), "no parameter list, no request");
        assertEquals(List.of(), SetTargetPortGroupsDescriptor.decode(p, 4), "a header alone");
    }

    @Test
    void shouldRefuseEveryReservedBitAndAPartialDescriptor() {
        byte[] p = SetTargetPortGroupsDescriptor.encodeParameters(TWO);
        int refused = 0;
        for (int bit = 0; bit < p.length * 8; bit++) {
            int off = bit >>> 3;
            int rel = (off - 4) % 4;
            boolean reserved = off < 4 || (off >= 4 && (rel == 1 || (rel == 0 && (bit & 7) >= 4)));
            if (!reserved) {
                continue;
            }
            byte[] q = p.clone();
            q[off] ^= (byte) (1 << (bit & 7));
            BadField bad = assertThrows(BadField.class, () -> SetTargetPortGroupsDescriptor.decode(q, q.length),
                    "bit " + bit);
            assertEquals(off, bad.byteOffset, "bit " + bit);
            refused++;
        }
        assertEquals(4 * 8 + 2 * (8 + 4), refused);
        for (int len : new int[] {1, 3, 5, 6, 7, 9}) {
            BadField bad = assertThrows(BadField.class, () -> SetTargetPortGroupsDescriptor.decode(p, len));
            assertEquals(-1, bad.byteOffset, "length " + len);
        }
        byte[] reservedState = p.clone();
        reservedState[4] = 0x04;
        assertEquals(4, assertThrows(BadField.class,
                () -> SetTargetPortGroupsDescriptor.decode(reservedState, reservedState.length)).byteOffset);
    }
}
