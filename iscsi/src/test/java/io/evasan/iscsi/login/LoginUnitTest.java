package io.evasan.iscsi.login;

import io.evasan.iscsi.IscsiTargetConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class LoginUnitTest {

    @Test
    void shouldParseAndEncodeTextKeys() {
        byte[] b = "A=1\0B=x=y\0\0C\0=v\0".getBytes(StandardCharsets.UTF_8);
        List<TextKeys.Pair> p = TextKeys.parse(b);
        assertEquals(new TextKeys.Pair("A", "1"), p.get(0));
        assertEquals(new TextKeys.Pair("B", "x=y"), p.get(1));
        assertEquals(new TextKeys.Pair("C", null), p.get(2));
        assertNull(p.get(3).value());
        assertArrayEquals("A=1\0B=x=y\0".getBytes(StandardCharsets.UTF_8), TextKeys.encode(p.subList(0, 2)));
        assertEquals(List.of(), TextKeys.parse(new byte[0]));
    }

    @ParameterizedTest
    @CsvSource({"512,512", "0x200,512", "8192,8192", "abc,-1", "511,-1", "16777216,-1", "'',-1", "-5,-1"})
    void shouldParseNumbersInRange(String v, long expected) {
        assertEquals(expected, TextKeys.number(v, 512, 16777215));
    }

    /** Target side answers: key, offered, expected answer (RFC 7143 section 13 result functions). */
    @ParameterizedTest
    @CsvSource({
            "HeaderDigest,'CRC32C,None',CRC32C",
            "HeaderDigest,'None,CRC32C',None",
            "DataDigest,'MD5',Reject",
            "MaxConnections,4,1",
            "InitialR2T,Yes,Yes",
            "InitialR2T,No,No",
            "ImmediateData,No,No",
            "ImmediateData,Yes,Yes",
            "ImmediateData,Maybe,Reject",
            "MaxBurstLength,1048576,1048576",
            "MaxBurstLength,16777215,16776192",
            "MaxBurstLength,100,Reject",
            "FirstBurstLength,65536,65536",
            "FirstBurstLength,1048576,262144",
            "MaxOutstandingR2T,1,1",
            "MaxOutstandingR2T,100,16",
            "DataPDUInOrder,No,Yes",
            "DataSequenceInOrder,Yes,Yes",
            "ErrorRecoveryLevel,2,0",
            "ErrorRecoveryLevel,5,Reject",
            "DefaultTime2Wait,0,2",
            "DefaultTime2Wait,10,10",
            "DefaultTime2Retain,0,0",
            "DefaultTime2Retain,60,20",
            "IFMarker,No,No",
            "X-com.example.foo,1,NotUnderstood",
            "UnknownKey,1,NotUnderstood"})
    void shouldAnswerOperationalKeys(String key, String offered, String answer) {
        Negotiator n = new Negotiator(IscsiTargetConfig.create());
        assertEquals(answer, n.answer(key, offered, false));
    }

    @Test
    void shouldDeclareNothingForMaxRecvDataSegmentLengthAndRecordIt() {
        Negotiator n = new Negotiator(IscsiTargetConfig.create());
        assertNull(n.answer("MaxRecvDataSegmentLength", "65536", false));
        assertEquals(65536, n.initiatorMaxRecvDataSegmentLength());
        assertEquals("Reject", n.answer("MaxRecvDataSegmentLength", "1", false));
        assertEquals(65536, n.initiatorMaxRecvDataSegmentLength(), "a rejected value changes nothing");
    }

    @Test
    void shouldAnswerIrrelevantForSessionKeysInDiscovery() {
        Negotiator n = new Negotiator(IscsiTargetConfig.create());
        assertEquals("Irrelevant", n.answer("MaxBurstLength", "1048576", true));
        assertEquals("Irrelevant", n.answer("ImmediateData", "Yes", true));
        assertEquals("None", n.answer("HeaderDigest", "None", true));
    }

    @Test
    void shouldKeepFirstBurstWithinMaxBurst() {
        Negotiator n = new Negotiator(IscsiTargetConfig.create());
        n.answer("MaxBurstLength", "4096", false);
        n.finish();
        assertTrue(n.firstBurstLength() <= n.maxBurstLength());
    }

    @Test
    void shouldLowerFirstBurstAnswerBelowMaxBurstInTheSameExchange() {
        Negotiator n = new Negotiator(IscsiTargetConfig.create());
        java.util.List<TextKeys.Pair> out = new java.util.ArrayList<>();
        out.add(new TextKeys.Pair("FirstBurstLength", n.answer("FirstBurstLength", "131072", false)));
        out.add(new TextKeys.Pair("MaxBurstLength", n.answer("MaxBurstLength", "8192", false)));
        n.reconcile(out);
        assertEquals(new TextKeys.Pair("FirstBurstLength", "8192"), out.get(0));
        assertEquals(8192, n.firstBurstLength());
    }

    @Test
    void shouldPickCrc32cWhenHeaderDigestIsRequired() {
        Negotiator n = new Negotiator(IscsiTargetConfig.create().headerDigestRequired(true));
        assertEquals("CRC32C", n.answer("HeaderDigest", "None,CRC32C", false));
        assertEquals("None", n.answer("DataDigest", "None", false));
        assertTrue(n.headerDigest());
        assertEquals("Reject", new Negotiator(IscsiTargetConfig.create().headerDigestRequired(true)).answer("HeaderDigest", "None", false));
    }

    @Test
    void shouldRefuseDigestsWhenDisabled() {
        Negotiator n = new Negotiator(IscsiTargetConfig.create().digestsAllowed(false));
        assertEquals("None", n.answer("HeaderDigest", "CRC32C,None", false));
        assertEquals("Reject", n.answer("DataDigest", "CRC32C", false));
    }

    @Test
    void shouldComputeChapMd5Response() {
        byte[] challenge = new byte[16];
        for (int i = 0; i < 16; i++) {
            challenge[i] = (byte) i;
        }
        // independent vector: md5(0x2a || "secret-of-twelve" || 00..0f), computed with Python hashlib
        byte[] r = Chap.response(0x2a, "secret-of-twelve".getBytes(StandardCharsets.UTF_8), challenge);
        assertEquals("c667cde8cb0f75e6d45d1de0c0056ee0", HexFormat.of().formatHex(r));
        assertArrayEquals(r, Chap.decodeBinary(Chap.encodeHex(r)));
        assertArrayEquals(new byte[]{1, 2, 3}, Chap.decodeBinary("0bAQID"));
        assertNull(Chap.decodeBinary("0xzz"));
        assertNull(Chap.decodeBinary("12345"));
        assertTrue(Chap.matches(r, r.clone()));
        assertFalse(Chap.matches(r, new byte[16]));
    }

    @Test
    void shouldValidateConfiguration() {
        IscsiTargetConfig c = IscsiTargetConfig.create();
        assertThrows(IllegalArgumentException.class, () -> c.addTarget("bogus", null, null));
        assertThrows(IllegalArgumentException.class, () -> c.port(70000));
        assertThrows(IllegalArgumentException.class, () -> c.firstBurstLength(1 << 24));
        assertThrows(IllegalArgumentException.class, () -> IscsiTargetConfig.create().maxBurstLength(4096).validate());
        assertThrows(IllegalArgumentException.class, () -> c.chap("iqn.x", "u", "same", "t", "same"));
        assertThrows(IllegalArgumentException.class, () -> c.maxRecvDataSegmentLength(100));
    }
}
