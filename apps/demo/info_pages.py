"""The demo shop's trust pages (shipping, returns and refunds, privacy, terms), written in
Arabic first and in English, as seed_demo publishes them. A real merchant edits them in the
Wagtail admin (Pages → the home page's children)."""

# slug, (Arabic title, intro, body), (English title, intro, body)
INFO_PAGES = [
    (
        "shipping",
        ("الشحن والتوصيل", "نوصل إلى كل مدن المملكة، وتتبع شحنتك من صفحة طلبك.",
         "<h2>مدة التوصيل</h2>"
         "<ul><li>الرياض: من يوم إلى يومي عمل.</li>"
         "<li>جدة ومكة والمدينة والطائف وينبع: من يومي عمل إلى أربعة أيام.</li>"
         "<li>باقي مدن المملكة: من ثلاثة إلى خمسة أيام عمل.</li></ul>"
         "<h2>تكلفة الشحن</h2>"
         "<p>تظهر تكلفة الشحن حسب مدينتك في صفحة إتمام الطلب قبل الدفع، وهي شاملة ضريبة "
         "القيمة المضافة. الشحن مجاني للطلبات التي تتجاوز الحد المذكور في السلة.</p>"
         "<h2>تتبع الشحنة</h2>"
         "<p>عند شحن طلبك نرسل لك رسالة بالبريد الإلكتروني فيها اسم شركة الشحن ورقم التتبع "
         "ورابطه، وتجدها أيضًا في صفحة طلبك.</p>"),
        ("Shipping and delivery", "We deliver to every city in the Kingdom; follow your "
         "parcel from your order page.",
         "<h2>Delivery times</h2>"
         "<ul><li>Riyadh: 1 to 2 working days.</li>"
         "<li>Jeddah, Makkah, Madinah, Taif and Yanbu: 2 to 4 working days.</li>"
         "<li>Everywhere else in the Kingdom: 3 to 5 working days.</li></ul>"
         "<h2>Shipping cost</h2>"
         "<p>Checkout shows the shipping cost for your city before you pay, VAT included. "
         "Shipping is free above the amount shown in your cart.</p>"
         "<h2>Tracking</h2>"
         "<p>When your order ships we e-mail you the carrier, the tracking number and its "
         "link; your order page shows them too.</p>"),
    ),
    (
        "returns",
        ("الاسترجاع والاسترداد", "يمكنك إرجاع المنتجات غير المستخدمة خلال سبعة أيام من "
         "استلامها.",
         "<h2>الإرجاع</h2>"
         "<p>وفق نظام التجارة الإلكترونية في المملكة، يحق لك إرجاع المنتج خلال سبعة أيام من "
         "استلامه إذا كان غير مستخدم وفي تغليفه الأصلي. لا تُرجع العطور ودهن العود بعد فتح "
         "ختمها، ولا المواد الغذائية (التمور والقهوة والشاي) بعد فتح عبوتها، إلا إذا كان "
         "المنتج معيبًا أو مخالفًا للطلب.</p>"
         "<h2>الاسترداد</h2>"
         "<p>نعيد المبلغ إلى البطاقة التي دفعت بها خلال خمسة أيام عمل من استلامنا المرتجع، "
         "ونرسل لك رسالة بالمبلغ وإشعارًا دائنًا ضريبيًا. قد يستغرق ظهور المبلغ في كشف "
         "حسابك أيامًا إضافية حسب البنك.</p>"
         "<h2>كيف تطلب الإرجاع</h2>"
         "<p>راسل خدمة العملاء من البريد الذي طلبت به مع رقم الطلب.</p>"),
        ("Returns and refunds", "You may return unused items within seven days of "
         "receiving them.",
         "<h2>Returns</h2>"
         "<p>Under the Saudi E-Commerce Law you may return an item within seven days of "
         "receiving it if it is unused and in its original packaging. Perfumes and oud oil "
         "cannot be returned once their seal is broken, nor food (dates, coffee, tea) once "
         "opened, unless the item is faulty or not what you ordered.</p>"
         "<h2>Refunds</h2>"
         "<p>We refund the card you paid with within five working days of receiving the "
         "return, and e-mail you the amount and a tax credit note. Your bank may take a few "
         "more days to show it.</p>"
         "<h2>How to ask for a return</h2>"
         "<p>Write to customer care from the e-mail address you ordered with, giving your "
         "order number.</p>"),
    ),
    (
        "privacy",
        ("سياسة الخصوصية", "نجمع ما يلزم لتوصيل طلبك فقط، ولا نبيع بياناتك لأحد.",
         "<h2>ما نجمعه</h2>"
         "<p>اسمك ورقم جوالك وبريدك الإلكتروني وعنوان التوصيل وما تطلبه. لا تمر بيانات "
         "بطاقتك على خوادمنا: تُدخلها مباشرة لدى شركة الدفع سترايب، ونحتفظ فقط بنوع البطاقة وآخر "
         "أربعة أرقام.</p>"
         "<h2>لماذا</h2>"
         "<p>لتنفيذ طلبك وتوصيله، وإصدار الفاتورة الضريبية التي يفرضها النظام، وإبلاغك "
         "بحالة طلبك.</p>"
         "<h2>حقوقك</h2>"
         "<p>وفق نظام حماية البيانات الشخصية، يحق لك طلب نسخة من بياناتك أو تصحيحها أو "
         "حذفها، عدا ما يلزم النظام بحفظه (كالفواتير). راسل خدمة العملاء لذلك.</p>"),
        ("Privacy policy", "We collect only what it takes to deliver your order, and we "
         "never sell your data.",
         "<h2>What we collect</h2>"
         "<p>Your name, mobile number, e-mail, delivery address and what you order. Your "
         "card details never pass through our servers: you enter them with Stripe, and we "
         "keep only the card brand and its last four digits.</p>"
         "<h2>Why</h2>"
         "<p>To fulfil and deliver your order, to issue the tax invoice the law requires, "
         "and to tell you how your order is doing.</p>"
         "<h2>Your rights</h2>"
         "<p>Under the Personal Data Protection Law you may ask for a copy of your data, "
         "its correction or its deletion, except what the law obliges us to keep (such as "
         "invoices). Write to customer care.</p>"),
    ),
    (
        "terms",
        ("الشروط والأحكام", "شروط الشراء من متجرنا.",
         "<h2>الأسعار</h2>"
         "<p>الأسعار بالريال السعودي وشاملة ضريبة القيمة المضافة بنسبة 15٪. نحجز المنتجات "
         "لطلبك لمدة ساعة حتى تدفع، ثم يُلغى الطلب غير المدفوع وتعود المنتجات للمخزون.</p>"
         "<h2>الدفع</h2>"
         "<p>تدفع بالبطاقة عبر شركة الدفع سترايب. يُؤكَّد الطلب فور نجاح الدفع، وتصلك فاتورة ضريبية "
         "مبسطة.</p>"
         "<h2>التوصيل والإرجاع</h2>"
         "<p>انظر صفحتي الشحن والتوصيل، والاسترجاع والاسترداد.</p>"
         "<h2>التواصل</h2>"
         "<p>لأي استفسار راسل خدمة العملاء على البريد المذكور أسفل كل صفحة.</p>"),
        ("Terms and conditions", "The terms of buying from our shop.",
         "<h2>Prices</h2>"
         "<p>Prices are in Saudi riyals and include 15% VAT. We reserve the items of your "
         "order for one hour while you pay; an unpaid order is then cancelled and its "
         "items go back on sale.</p>"
         "<h2>Payment</h2>"
         "<p>You pay by card through Stripe. Your order is confirmed as soon as the payment "
         "goes through, and you receive a simplified tax invoice.</p>"
         "<h2>Delivery and returns</h2>"
         "<p>See the shipping and delivery page and the returns and refunds page.</p>"
         "<h2>Contact</h2>"
         "<p>For any question write to customer care at the address shown at the foot of "
         "every page.</p>"),
    ),
]
