package io.evasan.iscsi.login;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * CHAP with MD5 (RFC 1994, as used by RFC 7143 section 12.1.3): response = MD5(identifier ||
 * secret || challenge). Invariant: {@link #response} is a pure function of its inputs and
 * {@link #decodeBinary} accepts exactly the hex (0x) and base64 (0b) encodings of RFC 7143 6.1,
 * returning null for anything else.
 */
public final class Chap {
    public static final int ALGORITHM_MD5 = 5;
    public static final int CHALLENGE_LENGTH = 16;
    private static final SecureRandom RANDOM = new SecureRandom();

    private Chap() {
    }

    public static byte[] response(int identifier, byte[] secret, byte[] challenge) {
        try {
            MessageDigest md = MessageDigest.getInstance("MD5");
            md.update((byte) identifier);
            md.update(secret);
            md.update(challenge);
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 unavailable", e);
        }
    }

    public static byte[] newChallenge() {
        byte[] c = new byte[CHALLENGE_LENGTH];
        RANDOM.nextBytes(c);
        return c;
    }

    public static int newIdentifier() {
        return RANDOM.nextInt(256);
    }

    public static String encodeHex(byte[] b) {
        return "0x" + HexFormat.of().formatHex(b);
    }

    /** Decodes a binary value: 0x/0X hex or 0b/0B base64; null when malformed. */
    public static byte[] decodeBinary(String v) {
        if (v == null || v.length() < 3) {
            return null;
        }
        String p = v.substring(0, 2);
        String body = v.substring(2);
        try {
            if (p.equalsIgnoreCase("0x")) {
                if ((body.length() & 1) == 1) {
                    body = "0" + body;
                }
                return HexFormat.of().parseHex(body);
            }
            if (p.equalsIgnoreCase("0b")) {
                return java.util.Base64.getDecoder().decode(body);
            }
        } catch (IllegalArgumentException e) {
            return null;
        }
        return null;
    }

    /** Constant-time comparison. */
    public static boolean matches(byte[] a, byte[] b) {
        return a != null && b != null && MessageDigest.isEqual(a, b);
    }
}
