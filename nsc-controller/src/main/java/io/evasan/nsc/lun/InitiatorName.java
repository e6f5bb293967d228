package io.evasan.nsc.lun;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.regex.Pattern;

/**
 * Initiator names as the cell accepts them (presentations, hosts, CHAP secrets), RFC 7143 §4.2.7 (formats) with the character rules of the
 * RFC 3722 stringprep profile. One rule for every route that takes an initiator name from a client
 * (LUN and snapshot present, host create and update).
 *
 * <p>Accepted, at most 223 bytes of UTF-8 (RFC 7143 §4.2.7.1):
 * <ul>
 * <li>{@code iqn.yyyy-mm.<reversed domain>[:<unique string>]}: a 4-digit year, month 01..12, a domain of
 *     dot-separated labels ({@code [a-z0-9]}, inner {@code -}), then optionally {@code :} and any string of
 *     allowed characters;</li>
 * <li>{@code eui.} and exactly 16 hex digits (RFC 7143 §4.2.7.5);</li>
 * <li>{@code naa.} and 16 or 32 hex digits (RFC 3980);</li>
 * <li>a Fibre Channel WWPN {@code xx:xx:xx:xx:xx:xx:xx:xx} (16 hex digits in colon-separated pairs), the name an FC
 *     host's port has on the cell's fabric (the FCP target opens its I_T nexus under it). {@link #require} returns it
 *     lower-case, as the fabric writes it, so presentations and hosts match what the target sees.</li>
 * </ul>
 * Allowed characters (RFC 3722 §6: ASCII only {@code a-z 0-9 - . :}, upper-case letters being case-folded;
 * prohibited: spaces, controls, every other ASCII punctuation such as {@code ! / @ , _}, private use, surrogates,
 * non-characters, unassigned code points and format characters); the name must already be in the NFKC form
 * stringprep produces. Invariant: {@link #problem} is null exactly for the accepted names; it only reads.
 */
public final class InitiatorName {
    /** RFC 7143 §4.2.7.1: an iSCSI name is at most 223 bytes. */
    public static final int MAX_BYTES = 223;
    /** The formats, for error texts. */
    public static final String FORMATS = "iqn.yyyy-mm.reversed.domain[:unique], eui.<16 hex>, naa.<16|32 hex>, or an FC WWPN"
            + " xx:xx:xx:xx:xx:xx:xx:xx; at most "
            + MAX_BYTES + " bytes; letters, digits, '-', '.', ':' only";
    private static final Pattern IQN = Pattern.compile(
            "iqn\\.(\\d{4})-(\\d{2})\\.([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)(?::.*)?",
            Pattern.DOTALL);
    private static final Pattern EUI = Pattern.compile("eui\\.[0-9A-Fa-f]{16}");
    private static final Pattern NAA = Pattern.compile("naa\\.(?:[0-9A-Fa-f]{16}|[0-9A-Fa-f]{32})");
    /** A Fibre Channel port name: 8 colon-separated hex pairs. */
    private static final Pattern WWPN = Pattern.compile("[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){7}");

    private InitiatorName() {
    }

    /** Why {@code name} is not an iSCSI initiator name, or null when it is one. */
    public static String problem(String name) {
        if (name == null || name.isEmpty()) {
            return "is empty";
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            return "is longer than " + MAX_BYTES + " bytes";
        }
        for (int i = 0; i < name.length(); ) {
            int cp = name.codePointAt(i);
            if (!allowed(cp)) {
                return "contains " + describe(cp) + " at offset " + i + ", which RFC 3722 prohibits in iSCSI names";
            }
            i += Character.charCount(cp);
        }
        if (!Normalizer.isNormalized(name, Normalizer.Form.NFKC)) {
            return "is not in the normalized (NFKC) form of RFC 3722";
        }
        if (name.startsWith("eui.")) {
            return EUI.matcher(name).matches() ? null : "is an eui. name without exactly 16 hex digits";
        }
        if (name.startsWith("naa.")) {
            return NAA.matcher(name).matches() ? null : "is a naa. name without 16 or 32 hex digits";
        }
        if (WWPN.matcher(name).matches()) {
            return null;
        }
        if (!name.startsWith("iqn.")) {
            return name.indexOf(':') >= 0 && !name.contains(".")
                    ? "is not a WWPN of 8 colon-separated pairs of hex digits (xx:xx:xx:xx:xx:xx:xx:xx)"
                    : "does not start with iqn., eui. or naa. and is not a WWPN (xx:xx:xx:xx:xx:xx:xx:xx)";
        }
        var m = IQN.matcher(name);
        if (!m.matches()) {
            return "is not iqn.yyyy-mm.reversed.domain[:unique] (a date, then a domain of letters, digits and inner '-')";
        }
        int month = Integer.parseInt(m.group(2));
        if (month < 1 || month > 12) {
            return "has month " + m.group(2) + " in its date (01..12)";
        }
        return null;
    }

    private static boolean allowed(int cp) {
        if (cp < 0x80) {
            return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9')
                    || cp == '-' || cp == '.' || cp == ':';
        }
        if (cp == 0x3002 || Character.isWhitespace(cp) || Character.isSpaceChar(cp) || Character.isISOControl(cp)) {
            return false;
        }
        if ((cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE) {
            return false;   // non-characters
        }
        int t = Character.getType(cp);
        return t != Character.PRIVATE_USE && t != Character.SURROGATE && t != Character.UNASSIGNED && t != Character.FORMAT;
    }

    private static String describe(int cp) {
        String shown = cp >= 0x21 && cp < 0x7F ? "'" + (char) cp + "'" : cp == ' ' ? "a space" : "a prohibited character";
        return shown + String.format(" (U+%04X)", cp);
    }

    /** True when {@code name} is an FC WWPN ({@code xx:xx:xx:xx:xx:xx:xx:xx}, any case). */
    public static boolean isWwpn(String name) {
        return name != null && WWPN.matcher(name).matches();
    }

    /**
     * Refuses an initiator name a presentation cannot use: {@code *} (every initiator) or an accepted name.
     *
     * @throws io.evasan.error.StorageException INVALID_ARGUMENT naming the value and what is wrong with it
     */
    public static void checkPresentable(String initiator) {
        if ("*".equals(initiator)) {
            return;
        }
        String p = problem(initiator);
        if (p != null) {
            throw new io.evasan.error.StorageException(io.evasan.error.ErrorCode.INVALID_ARGUMENT, "initiator '" + initiator
                    + "' is not an iSCSI initiator name or WWPN: it " + p + " (" + FORMATS + "; or * for every initiator)");
        }
    }
}
