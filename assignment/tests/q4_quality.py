from otter.test_files import test_case

OK_FORMAT = False

name = "q4_quality"
points = None

@test_case(points=0, hidden=False, 
    success_message="this quick check found nothing wrong: the network builds, fits the input, output and size rules and trains. It does not measure the balanced accuracy: only the grader decides the 4 points, after you submit.")
def test_q4_quality_quick_check(get_net):
    import json
    import random
    import keras
    import numpy
    allowed = {'InputLayer', 'Conv2D', 'SeparableConv2D', 'DepthwiseConv2D', 'MaxPooling2D', 'AveragePooling2D', 'GlobalMaxPooling2D', 'GlobalAveragePooling2D', 'Flatten', 'Reshape', 'Dense', 'Dropout', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'BatchNormalization', 'LayerNormalization', 'Activation', 'ReLU', 'LeakyReLU', 'ELU', 'PReLU', 'Rescaling', 'ZeroPadding2D', 'Cropping2D'}
    saved = (random.getstate(), numpy.random.get_state())
    try:
        keras.utils.set_random_seed(0)
        model = get_net('glorot_uniform', 'zeros')
        assert isinstance(model, keras.Sequential), "get_net('glorot_uniform', 'zeros') must return a keras.Sequential"
        if not model.built:
            model.build((None, 15, 15, 1))
        layers = json.loads(model.to_json())['config']['layers']
        kinds = [str(layer.get('class_name')) for layer in layers]
        refused = sorted(set(kinds) - allowed)
        assert not refused, f"layers that are not among the allowed ones: {', '.join(refused)[:200]}"
        assert len(kinds) <= 20, f'{len(kinds)} layers (keras.Input included): at most 20'
        assert all((layer.trainable for layer in model.layers)), 'every layer must be trainable'
        assert tuple(model.input_shape) == (None, 15, 15, 1), 'the network must start with keras.Input(shape=(15, 15, 1))'
        assert tuple(model.output_shape) == (None, 1), 'the network must end with a single output per patch'
        activations = [layer['config']['activation'] if 'activation' in layer.get('config', {}) else layer['class_name'] for layer in layers if 'activation' in layer.get('config', {}) or layer['class_name'] in ('ReLU', 'LeakyReLU', 'ELU', 'PReLU')]
        assert activations and activations[-1] == 'sigmoid', "the output must go through a sigmoid: end with Dense(1, activation='sigmoid') or Activation('sigmoid')"
        parameters = model.count_params()
        assert parameters <= 3000000, f'{parameters:,} parameters: at most 3,000,000'
        macs = 0
        for layer in model.layers:
            positions = int(numpy.prod(layer.output.shape[1:-1]))
            macs += positions * sum((int(numpy.prod(w.shape)) for w in layer.weights if 'kernel' in w.name))
        assert macs <= 95000000, f'about {macs:,} multiply-adds per patch: at most 95,000,000'
        rng = numpy.random.default_rng(0)
        X = rng.uniform(0.8, 1.0, size=(32, 15, 15, 1)).astype('float32')
        y = (numpy.arange(32) % 2).astype('float32')
        for i in range(32):
            X[i, rng.random((15, 15)) < 0.12, 0] = rng.uniform(0.0, 0.5)
            if y[i]:
                at, width = (rng.integers(3, 11), rng.integers(1, 3))
                if i % 4 == 1:
                    X[i, :, at:at + width, 0] = rng.uniform(0.0, 0.3)
                else:
                    X[i, at:at + width, :, 0] = rng.uniform(0.0, 0.3)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss='binary_crossentropy', run_eagerly=True)
        losses = [float(model.train_on_batch(X, y)) for _ in range(5)]
        assert all(numpy.isfinite(losses)), 'the training loss is not a finite number'
        assert min(losses[1:]) < 0.9999 * losses[0], f'training does not lower the loss ({losses[0]:.4f} before, {min(losses[1:]):.4f} at best after 4 steps of Adam on 32 easy patches): look for dead units or a saturated output'
    finally:
        random.setstate(saved[0])
        numpy.random.set_state(saved[1])

