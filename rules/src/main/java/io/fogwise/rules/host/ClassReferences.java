package io.fogwise.rules.host;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.Set;
import java.util.TreeSet;

/**
 * The classes a class file refers to, read from its constant pool (class entries, and the owners
 * and descriptors of field and method references). Used to check compiled rule code before it is
 * defined: whatever a class can call or touch must be named in its constant pool.
 */
final class ClassReferences {
  private ClassReferences() {}

  /**
   * Internal names ({@code java/lang/String}) of every class {@code classFile} names.
   *
   * @throws IOException if it is not a well-formed class file
   */
  static Set<String> of(byte[] classFile) throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(classFile));
    if (in.readInt() != 0xCAFEBABE) {
      throw new IOException("not a class file (bad magic)");
    }
    in.readUnsignedShort(); // minor
    in.readUnsignedShort(); // major
    int count = in.readUnsignedShort();
    String[] utf8 = new String[count];
    int[] classIndex = new int[count];
    int[] descriptorIndex = new int[count];
    for (int i = 1; i < count; i++) {
      int tag = in.readUnsignedByte();
      switch (tag) {
        case 1 -> utf8[i] = in.readUTF();
        case 7, 16 -> {
          int nameIndex = in.readUnsignedShort();
          if (tag == 7) {
            classIndex[i] = nameIndex;
          } else {
            descriptorIndex[i] = nameIndex; // MethodType: a descriptor
          }
        }
        case 8, 19, 20 -> in.readUnsignedShort(); // String, Module, Package
        case 3, 4 -> in.readInt();
        case 5, 6 -> {
          in.readLong();
          i++; // takes two slots
        }
        case 9, 10, 11 -> in.readInt(); // owner and NameAndType: the owner is a class entry
        case 12 -> {
          in.readUnsignedShort(); // name
          descriptorIndex[i] = in.readUnsignedShort();
        }
        case 15 -> {
          in.readUnsignedByte();
          in.readUnsignedShort();
        }
        case 17, 18 -> in.readInt(); // (Invoke)Dynamic: bootstrap index + NameAndType
        default -> throw new IOException("unknown constant pool tag " + tag + " at entry " + i);
      }
    }
    Set<String> names = new TreeSet<>();
    for (int i = 1; i < count; i++) {
      if (classIndex[i] > 0) {
        addType(utf8[classIndex[i]], names);
      }
      if (descriptorIndex[i] > 0) {
        addDescriptor(utf8[descriptorIndex[i]], names);
      }
    }
    return names;
  }

  /** A class entry is an internal name, or an array descriptor. */
  private static void addType(String name, Set<String> out) {
    if (name == null) {
      return;
    }
    if (name.startsWith("[")) {
      addDescriptor(name, out);
    } else {
      out.add(name);
    }
  }

  /** Every {@code Lname;} in a field or method descriptor. */
  private static void addDescriptor(String descriptor, Set<String> out) {
    if (descriptor == null) {
      return;
    }
    int i = 0;
    while ((i = descriptor.indexOf('L', i)) >= 0) {
      int end = descriptor.indexOf(';', i);
      if (end < 0) {
        return;
      }
      out.add(descriptor.substring(i + 1, end));
      i = end + 1;
    }
  }
}
