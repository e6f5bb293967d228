package io.evasan.mgmt.impl;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link InitiatorNames}: the RFC 7143 §4.2.7 formats and the RFC 3722 character rules, one by one. */
class InitiatorNamesTest {
    @Test
    void shouldAcceptTheThreeFormatsAtTheirLimits() {
        for (String ok : new String[] {"iqn.2001-04.com.example:storage:diskarrays-sn-a8675309", "iqn.2001-04.com.example",
                "iqn.2026-12.a", "IQN.2026-11.Example.COM:Host".replace("IQN", "iqn"), "eui.02004567A425678D",
                "naa.52004567BA64678D", "naa.62004567BA64678D0123456789ABCDEF", "iqn.2026-11.test:ü",
                "iqn.2026-11.t:" + "a".repeat(223 - "iqn.2026-11.t:".length())}) {
            assertNull(InitiatorNames.problem(ok), ok);
        }
    }

    @Test
    void shouldNameWhatIsWrongWithEachRefusedName() {
        assertTrue(InitiatorNames.problem("bad initiator!").contains("' '") || InitiatorNames.problem("bad initiator!").contains("space"));
        assertTrue(InitiatorNames.problem("iqn.2026-11.test:bad!").contains("'!'"));
        assertTrue(InitiatorNames.problem("iqn.2026-11.test:a,b").contains("','"));
        assertTrue(InitiatorNames.problem("iqn.2026-13.test:x").contains("month 13"));
        assertTrue(InitiatorNames.problem("iqn.2026-11.t:" + "a".repeat(224 - 14)).contains("223 bytes"));
        assertTrue(InitiatorNames.problem("eui.0123").contains("16 hex"));
        assertTrue(InitiatorNames.problem("naa.0123456789abcdef0").contains("16 or 32"));
        assertTrue(InitiatorNames.problem("host1").contains("iqn., eui. or naa."));
        assertTrue(InitiatorNames.problem("iqn.2026-11.test:\u200b").contains("U+200B"), "format character");
        assertTrue(InitiatorNames.problem("iqn.2026-11.test:\ue000").contains("U+E000"), "private use");
        assertTrue(InitiatorNames.problem("iqn.2026-11.test:x\u3002y").contains("U+3002"), "ideographic full stop");
        assertTrue(InitiatorNames.problem("iqn.2026-11.test:\uff21").contains("NFKC"), "full-width A is not NFKC");
        assertNotNull(InitiatorNames.problem(""));
        assertNotNull(InitiatorNames.problem(null));
    }

    @Test
    void shouldAcceptFibreChannelWwpnsAndReturnThemLowerCase() {
        assertNull(InitiatorNames.problem("10:00:00:00:c9:aa:00:01"));
        assertNull(InitiatorNames.problem("50:01:FE:10:AB:CD:EF:01"));
        assertEquals("50:01:fe:10:ab:cd:ef:01", InitiatorNames.require("50:01:FE:10:AB:CD:EF:01", "initiator"));
        assertEquals("iqn.2026-11.Test:X", InitiatorNames.require("iqn.2026-11.Test:X", "initiator"), "iSCSI names as given");
        assertTrue(InitiatorNames.problem("10:00:00:00:c9:aa:00").contains("WWPN"), "7 pairs");
        assertTrue(InitiatorNames.problem("10:00:00:00:c9:aa:00:0g").contains("WWPN"), "not hex");
        assertTrue(InitiatorNames.problem("1000:0000:c9aa:0001").contains("WWPN"), "not pairs");
        assertNotNull(InitiatorNames.problem("10:00:00:00:c9:aa:00:01:02"));
    }

    @Test
    void shouldThrowA400NamingTheField() {
        ApiError e = assertThrows(ApiError.class, () -> InitiatorNames.require("bad initiator!", "initiators[2]"));
        assertEquals(400, e.status());
        assertEquals("initiators[2]", e.field());
        assertTrue(e.getMessage().startsWith("field 'initiators[2]' = 'bad initiator!' is not an iSCSI initiator name"), e.getMessage());
    }
}
