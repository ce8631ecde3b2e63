package dev.sparkvae.model.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import onnx.Onnx.AttributeProto;
import onnx.Onnx.AttributeProto.AttributeType;
import onnx.Onnx.GraphProto;
import onnx.Onnx.ModelProto;
import onnx.Onnx.NodeProto;
import onnx.Onnx.OperatorSetIdProto;
import onnx.Onnx.TensorProto;
import onnx.Onnx.TensorShapeProto;
import onnx.Onnx.TypeProto;
import onnx.Onnx.ValueInfoProto;
import org.nd4j.shade.protobuf.ByteString;

/**
 * A small builder of float32 ONNX models over the ONNX protobuf classes that ship inside nd4j-api (no schema of our
 * own). Models are IR version {@value #IR_VERSION}, default domain opset {@value #OPSET}: ONNX Runtime 1.22 runs
 * both. A dimension given as {@link #BATCH} is the symbolic (dynamic) batch dimension.
 *
 * <p>Not thread-safe; build one model per instance.
 */
public final class OnnxGraph {
  /** The ONNX IR version written (7: ONNX 1.8). */
  public static final long IR_VERSION = 7;
  /** The default-domain operator set written. */
  public static final long OPSET = 13;
  /** Marks the dynamic batch dimension in {@link #input} and {@link #output}. */
  public static final long BATCH = -1;

  private final GraphProto.Builder graph;
  private int nodes;

  /** An empty graph called {@code name}. */
  public OnnxGraph(String name) {
    graph = GraphProto.newBuilder().setName(name);
  }

  /** Declares a float32 graph input; {@link #BATCH} marks a dynamic dimension. */
  public OnnxGraph input(String name, long... dims) {
    graph.addInput(valueInfo(name, dims));
    return this;
  }

  /** Declares a float32 graph output; {@link #BATCH} marks a dynamic dimension. */
  public OnnxGraph output(String name, long... dims) {
    graph.addOutput(valueInfo(name, dims));
    return this;
  }

  /** A constant float32 tensor, row-major {@code values} of shape {@code dims}. */
  public OnnxGraph initializer(String name, float[] values, long... dims) {
    ByteBuffer raw = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    raw.asFloatBuffer().put(values);
    TensorProto.Builder tensor = TensorProto.newBuilder().setName(name)
        .setDataType(TensorProto.DataType.FLOAT.getNumber()).setRawData(ByteString.copyFrom(raw));
    for (long dim : dims) {
      tensor.addDims(dim);
    }
    graph.addInitializer(tensor);
    return this;
  }

  /** A node of the default domain; {@code alpha}, when not null, becomes its float attribute "alpha". */
  public OnnxGraph node(String opType, String[] inputs, String output, Float alpha) {
    NodeProto.Builder node = NodeProto.newBuilder().setOpType(opType).setName(opType + "_" + nodes++)
        .addOutput(output);
    for (String input : inputs) {
      node.addInput(input);
    }
    if (alpha != null) {
      node.addAttribute(AttributeProto.newBuilder().setName("alpha").setType(AttributeType.FLOAT).setF(alpha));
    }
    graph.addNode(node);
    return this;
  }

  /** The serialized model. */
  public byte[] toBytes() {
    return ModelProto.newBuilder()
        .setIrVersion(IR_VERSION)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
        .setProducerName("spark-vae")
        .setGraph(graph)
        .build()
        .toByteArray();
  }

  private static ValueInfoProto valueInfo(String name, long[] dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (long dim : dims) {
      shape.addDim(dim == BATCH ? TensorShapeProto.Dimension.newBuilder().setDimParam("N")
          : TensorShapeProto.Dimension.newBuilder().setDimValue(dim));
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
        TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT.getNumber()).setShape(shape))).build();
  }
}
