package io.evasan.fabric.frame;

import io.evasan.fabric.frame.BlsDescriptor.BaAcc;
import io.evasan.fabric.frame.BlsDescriptor.BaRjt;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.*;

class BlsDescriptorTest {
    static final HexFormat HEX = HexFormat.of();

    @Test
    void shouldEncodeBaAccAndBaRjtAsTheGoldenBytes() throws Exception {
        // BA_ACC: FC_BA_SEQ_ID_VAL 80h, SEQ_ID 05h, OX_ID 1234h, RX_ID 5678h, SEQ_CNT 0000h..FFFFh (whole exchange)
        BaAcc acc = new BaAcc(true, 5, 0x1234, 0x5678, 0, 0xFFFF);
        assertEquals("80050000" + "12345678" + "0000ffff", HEX.formatHex(acc.encode()));
        assertEquals(acc, BaAcc.decode(acc.encode()));
        // BA_RJT: FC_BA_RJT_UNABLE 09h, FC_BA_RJT_INV_XID 03h
        BaRjt rjt = new BaRjt(BlsDescriptor.RJT_UNABLE, BlsDescriptor.RJT_EXP_INV_XID);
        assertEquals("00090300", HEX.formatHex(rjt.encode()));
        assertEquals(rjt, BaRjt.decode(rjt.encode()));
        BlsDescriptor.checkAbts(new byte[0]);
    }

    @Test
    void shouldRejectWrongLengths() {
        byte[] acc = new BaAcc(false, 0, 1, 2, 0, 0).encode();
        for (int n = 0; n < acc.length; n++) {
            byte[] b = Arrays.copyOf(acc, n);
            assertEquals(FrameFormatException.Problem.TRUNCATED,
                    assertThrows(FrameFormatException.class, () -> BaAcc.decode(b)).problem());
        }
        assertEquals(FrameFormatException.Problem.BAD_LENGTH,
                assertThrows(FrameFormatException.class, () -> BaAcc.decode(new byte[16])).problem());
        assertEquals(FrameFormatException.Problem.BAD_LENGTH,
                assertThrows(FrameFormatException.class, () -> BaRjt.decode(new byte[8])).problem());
        assertEquals(FrameFormatException.Problem.TRUNCATED,
                assertThrows(FrameFormatException.class, () -> BaRjt.decode(new byte[3])).problem());
        assertEquals(FrameFormatException.Problem.BAD_LENGTH,
                assertThrows(FrameFormatException.class, () -> BlsDescriptor.checkAbts(new byte[4])).problem());
    }
}
