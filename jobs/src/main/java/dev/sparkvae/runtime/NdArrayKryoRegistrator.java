package dev.sparkvae.runtime;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.apache.spark.serializer.KryoRegistrator;
import org.nd4j.kryo.Nd4jRegistrator;
import org.nd4j.kryo.Nd4jSerializer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Spark's Kryo registrator for spark-vae ({@code spark.kryo.registrator=dev.sparkvae.runtime.NdArrayKryoRegistrator}):
 * ND4J's {@link Nd4jRegistrator}, with numeric ND4J arrays written as their raw data bytes in blocks instead of
 * value by value.
 *
 * <p>Why: parameter averaging sends the parameters and the updater state (three times the parameter count with
 * Adam) to every worker and back every round. ND4J's own serializer writes them through a
 * {@code DataOutputStream} one value at a time, which dominates a round's transfer; a block copy is one memory copy
 * (bench/RESULTS.md, training speed). Views and non-C-order arrays are written as a C-order copy; empty and string
 * arrays go through ND4J's serializer. The reader must have the writer's byte order (checked).
 */
public class NdArrayKryoRegistrator implements KryoRegistrator {
  @Override
  public void registerClasses(Kryo kryo) {
    new Nd4jRegistrator().registerClasses(kryo);
    kryo.register(Nd4j.getBackend().getNDArrayClass(), new BlockSerializer());
  }

  /** Data type, shape, then the data buffer's bytes, copied through a small reused block. */
  static final class BlockSerializer extends Serializer<INDArray> {
    private static final int FALLBACK = 0;
    private static final int LITTLE_ENDIAN = 1;
    private static final int BIG_ENDIAN = 2;
    private static final int BLOCK = 1 << 16;
    private static final int NATIVE_ORDER =
        ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? LITTLE_ENDIAN : BIG_ENDIAN;

    private final Nd4jSerializer fallback = new Nd4jSerializer();
    private final byte[] block = new byte[BLOCK];

    @Override
    public void write(Kryo kryo, Output output, INDArray array) {
      if (array.isEmpty() || array.dataType() == DataType.UTF8 || array.isCompressed()) {
        output.writeByte(FALLBACK);
        fallback.write(kryo, output, array);
        return;
      }
      INDArray dense = isDenseC(array) ? array : array.dup('c');
      output.writeByte(NATIVE_ORDER);
      output.writeVarInt(dense.dataType().ordinal(), true);
      long[] shape = dense.shape();
      output.writeVarInt(shape.length, true);
      for (long size : shape) {
        output.writeVarLong(size, true);
      }
      ByteBuffer data = dense.data().asNio();
      data.limit((int) (dense.length() * dense.data().getElementSize()));
      while (data.hasRemaining()) {
        int n = Math.min(BLOCK, data.remaining());
        data.get(block, 0, n);
        output.writeBytes(block, 0, n);
      }
    }

    /** True when the array's buffer holds exactly its values in C order. */
    private static boolean isDenseC(INDArray array) {
      return !array.isView() && array.ordering() == 'c'
          && Arrays.equals(array.stride(), Nd4j.getStrides(array.shape(), 'c'));
    }

    @Override
    public INDArray read(Kryo kryo, Input input, Class<INDArray> type) {
      int order = input.readByte();
      if (order == FALLBACK) {
        return fallback.read(kryo, input, type);
      }
      if (order != NATIVE_ORDER) {
        throw new KryoException("An ND4J array written with another byte order cannot be read here");
      }
      DataType dataType = DataType.values()[input.readVarInt(true)];
      long[] shape = new long[input.readVarInt(true)];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = input.readVarLong(true);
      }
      INDArray array = Nd4j.createUninitialized(dataType, shape, 'c');
      ByteBuffer data = array.data().asNio();
      data.limit((int) (array.length() * array.data().getElementSize()));
      while (data.hasRemaining()) {
        int n = Math.min(BLOCK, data.remaining());
        input.readBytes(block, 0, n);
        data.put(block, 0, n);
      }
      return array;
    }
  }
}
